package config

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDB(t *testing.T) {
	for _, c := range []struct {
		in   string
		want DB
		show string // String(): the password hidden
	}{
		{"none", DB{Kind: DBNone}, "none"},
		{"sqlite:nodelist.db", DB{Kind: DBSQLite, Path: "nodelist.db"}, "sqlite:nodelist.db"},
		{"sqlite:/var/lib/nodelist/a b.db", DB{Kind: DBSQLite, Path: "/var/lib/nodelist/a b.db"}, "sqlite:/var/lib/nodelist/a b.db"},
		{"mysql://u:p@h/db", DB{Kind: DBMySQL, User: "u", Password: "p", Addr: "h:3306", Name: "db"}, "mysql://u:xxxxx@h:3306/db"},
		{"mysql://u@127.0.0.1:3307/db", DB{Kind: DBMySQL, User: "u", Addr: "127.0.0.1:3307", Name: "db"}, "mysql://u@127.0.0.1:3307/db"},
		{"mysql://h/db", DB{Kind: DBMySQL, Addr: "h:3306", Name: "db"}, "mysql://h:3306/db"},
		{"mysql://u:p@[::1]/db", DB{Kind: DBMySQL, User: "u", Password: "p", Addr: "[::1]:3306", Name: "db"}, "mysql://u:xxxxx@[::1]:3306/db"},
		{"mysql://u:p@[::1]:3306/db", DB{Kind: DBMySQL, User: "u", Password: "p", Addr: "[::1]:3306", Name: "db"}, "mysql://u:xxxxx@[::1]:3306/db"},
		// Special characters of a password, percent-encoded; @ and : as
		// they are, since only the last @ ends the user part.
		{"mysql://u:p%40%2F%3F%23%25%20w@h/db", DB{Kind: DBMySQL, User: "u", Password: "p@/?#% w", Addr: "h:3306", Name: "db"}, "mysql://u:xxxxx@h:3306/db"},
		{"mysql://u:p@ss:w@h/db", DB{Kind: DBMySQL, User: "u", Password: "p@ss:w", Addr: "h:3306", Name: "db"}, "mysql://u:xxxxx@h:3306/db"},
		{"mysql://u:p@h/db?tls=true&timeout=5s", DB{Kind: DBMySQL, User: "u", Password: "p", Addr: "h:3306", Name: "db",
			Params: []Param{{"tls", "true"}, {"timeout", "5s"}}}, "mysql://u:xxxxx@h:3306/db?tls=true&timeout=5s"},
		{"mysql://u:p@h/db?sql_mode=%27ANSI%27", DB{Kind: DBMySQL, User: "u", Password: "p", Addr: "h:3306", Name: "db",
			Params: []Param{{"sql_mode", "'ANSI'"}}}, "mysql://u:xxxxx@h:3306/db?sql_mode=%27ANSI%27"},
	} {
		got, err := ParseDB(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
		if s := got.String(); s != c.show {
			t.Errorf("%q shown as %q, want %q", c.in, s, c.show)
		}
		if back, err := ParseDB(got.Text()); err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("%q: its text %q reads back as %+v, %v", c.in, got.Text(), back, err)
		}
	}
}

// TestParseDBRefuses gives every spelling the parser refuses, each with
// a password that the error must not repeat.
func TestParseDBRefuses(t *testing.T) {
	const secret = "s3cr3tPW"
	for _, c := range []struct{ in, says string }{
		{"", "empty"},
		{" none", "white space"},
		{"none ", "white space"},
		{"\tsqlite:x.db", "white space"},
		{"sqlite:x.db\n", "white space"},
		{"sqlite:a\x00b", "control character"},
		{"mysql://u:" + secret + "@h/d\x7fb", "control character"},
		{"NONE", "no scheme"},
		{"nodelist.db", "no scheme"},
		{"/var/lib/nodelist.db", "no scheme"},
		{"sqlite:", "without a path"},
		{"sqlite:x.db?mode=ro", "?, # or %"},
		{"sqlite:x#y.db", "?, # or %"},
		{"sqlite:x%20y.db", "?, # or %"},
		{"SQLite:x.db", `unknown scheme "SQLite"`},
		{"postgres://u:" + secret + "@h/db", `unknown scheme "postgres"`},
		{"mariadb://u:" + secret + "@h/db", "write mysql://"},
		{"mysql:u:" + secret + "@h/db", "write mysql://"},
		{"MYSQL://u:" + secret + "@h/db", "write mysql://"},
		{"mysql://", "no host"},
		{"mysql:///db", "no host"},
		{"mysql://u:" + secret + "@/db", "no host"},
		{"mysql://u:" + secret + "@:3306/db", "no host"},
		{"mysql://u:" + secret + "@h", "no database"},
		{"mysql://u:" + secret + "@h/", "no database"},
		{"mysql://u:" + secret + "@h/a/b", "holds / or @"},
		{"mysql://u:" + secret + "@h:0/db", "want 1 to 65535"},
		{"mysql://u:" + secret + "@h:65536/db", "want 1 to 65535"},
		{"mysql://u:" + secret + "@h:/db", "want 1 to 65535"},
		{"mysql://u:" + secret + "@h:port/db", "not an address"},
		// Unencoded special characters of a password.
		{"mysql://u:" + secret + "/x@h/db", "not an address"},
		{"mysql://u:12345/x@h", "holds / or @"},
		{"mysql://0:0:/00", "neither a name nor an address"},
		{"mysql://u:" + secret + "#x@h/db", "a # in the address"},
		{"mysql://u:" + secret + "?x@h/db", "not an address"},
		{"mysql://u:" + secret + "%zz@h/db", "not an address"},
		{"mysql://u:" + secret + "@h/db#frag", "a # in the address"},
		{"mysql://u:" + secret + "@h/db?", ""}, // an empty query is none
		{"mysql://u:" + secret + "@h/db?tls", "without a value"},
		{"mysql://u:" + secret + "@h/db?tls=", "without a value"},
		{"mysql://u:" + secret + "@h/db?=x", "without a name"},
		{"mysql://u:" + secret + "@h/db?tls=true&&x=1", "without a name"},
		{"mysql://u:" + secret + "@h/db?tls=true&tls=false", "given twice"},
		{"mysql://u:" + secret + "@h/db?a=%zz", "%-escape"},
		{"mysql://u:" + secret + "@h/db?timeout=5", "positive duration"},
		{"mysql://u:" + secret + "@h/db?readTimeout=-1s", "positive duration"},
		{"mysql://u:" + secret + "@h/db?writeTimeout=0s", "positive duration"},
	} {
		_, err := ParseDB(c.in)
		if c.says == "" {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: accepted", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want it to say %q", c.in, err, c.says)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the error repeats the password: %v", c.in, err)
		}
	}
}

// TestDBFlag checks --db as a flag: a bad value is refused where it is
// set, the default shows in --help, and the password never shows.
func TestDBFlag(t *testing.T) {
	h := DefaultHistory()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	h.RegisterHistory(fs)
	if d := fs.Lookup("db").DefValue; d != "sqlite:nodelist.db" {
		t.Errorf("default shown as %q", d)
	}
	// A bad value is said by Validate, with the others, and never
	// quoted: the flag package would quote it, password and all.
	if err := fs.Parse([]string{"--db", "mysql://u:s3cr3tPW@h", "--retention-raw", "1m"}); err != nil {
		t.Fatal(err)
	}
	err := h.Validate()
	if err == nil || !strings.Contains(err.Error(), "--db: mysql: no database") || !strings.Contains(err.Error(), "--retention-raw") ||
		strings.Contains(err.Error(), "s3cr3tPW") {
		t.Errorf("--db without a database: %v", err)
	}
	if s := fs.Lookup("db").Value.String(); strings.Contains(s, "s3cr3tPW") {
		t.Errorf("a bad --db shown as %q", s)
	}
	h.RetentionRaw = time.Hour
	if err := fs.Parse([]string{"--db", "mysql://u:pw%40x@h/db"}); err != nil || h.Validate() != nil {
		t.Fatal(err, h.Validate())
	}
	if h.DB.Kind != DBMySQL || h.DB.Password != "pw@x" {
		t.Errorf("--db parsed into %+v", h.DB)
	}
	if s := shown("db", fs.Lookup("db").Value.String()); strings.Contains(s, "pw") {
		t.Errorf("shown as %q", s)
	}
	if s := shown("db", "mysql://u:pw/x@h/db"); strings.Contains(s, "pw") {
		t.Errorf("an unreadable value shown as %q", s)
	}
}

// FuzzParseDB checks that any text is either refused without repeating
// a password, or read into a value whose text reads back the same and
// whose String hides the password.
func FuzzParseDB(f *testing.F) {
	for _, s := range []string{"none", "sqlite:x.db", "sqlite:", "mysql://u:p@h:1/db?tls=true", "mysql://u:p%40@[::1]/d",
		"mysql://", "mysql://u:p@h/db#x", "mysql://u:p/x@h/db", " none", "x:y", "mysql://u:p@h/db?a=1&a=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		db, err := ParseDB(s)
		if err != nil {
			// What lies between the user and the last @ is a password.
			rest, isMySQL := strings.CutPrefix(s, "mysql://")
			at := strings.LastIndex(rest, "@")
			if _, pw, ok := strings.Cut(rest[:max(at, 0)], ":"); isMySQL && ok && len(pw) >= 6 && strings.Contains(err.Error(), pw) {
				t.Fatalf("%q: the error repeats the password: %v", s, err)
			}
			return
		}
		back, err := ParseDB(db.Text())
		if err != nil || !reflect.DeepEqual(back, db) {
			t.Fatalf("%q: text %q reads back as %+v, %v; want %+v", s, db.Text(), back, err, db)
		}
		shownDB, err := ParseDB(db.String())
		if err != nil {
			t.Fatalf("%q: shown as %q, which does not read: %v", s, db.String(), err)
		}
		if db.Password != "" && shownDB.Password != "xxxxx" {
			t.Fatalf("%q: shown as %q, password not hidden", s, db.String())
		}
	})
}
