package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DBKind is which history store --db names.
type DBKind int

// The kinds of history store.
const (
	DBNone   DBKind = iota // history in memory, for the process's life
	DBSQLite               // a SQLite file
	DBMySQL                // a MySQL or MariaDB database
)

// DB is --db parsed: the one place its text is read. The store's opener,
// the wiring and the replicas take this value, never the text.
type DB struct {
	Kind DBKind
	// Path is the SQLite file.
	Path string
	// User, Password, Addr (host:port, the port 3306 when none is given),
	// Name (the database) and Params (the driver's parameters, in the
	// order written) are MySQL's.
	User, Password string
	Addr, Name     string
	Params         []Param
}

// Param is one query parameter of a mysql:// address.
type Param struct{ Key, Value string }

// DefaultDB is the default --db.
func DefaultDB() DB { return DB{Kind: DBSQLite, Path: "nodelist.db"} }

const dbWant = "want none, sqlite:PATH or mysql://user:pass@host:port/db?params"

// ParseDB reads a --db value. Its errors never repeat the password.
func ParseDB(s string) (DB, error) {
	switch {
	case s == "":
		return DB{}, errors.New("empty: " + dbWant)
	case strings.TrimSpace(s) != s:
		return DB{}, errors.New("white space around the value: " + dbWant)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return DB{}, errors.New("a control character in the value")
	case s == "none":
		return DB{Kind: DBNone}, nil
	case strings.HasPrefix(s, "sqlite:"):
		return parseSQLite(strings.TrimPrefix(s, "sqlite:"))
	case strings.HasPrefix(s, "mysql://"):
		return parseMySQL(s)
	}
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.ContainsAny(scheme, "/@") {
		return DB{}, fmt.Errorf("no scheme: %s", dbWant)
	}
	if strings.EqualFold(scheme, "mysql") || strings.EqualFold(scheme, "mariadb") {
		return DB{}, fmt.Errorf("scheme %q: for MySQL and MariaDB write mysql://user:pass@host:port/db", shortText(scheme))
	}
	return DB{}, fmt.Errorf("unknown scheme %q: %s", shortText(scheme), dbWant)
}

func parseSQLite(path string) (DB, error) {
	if path == "" {
		return DB{}, errors.New("sqlite: without a path: want sqlite:PATH")
	}
	// The driver reads the path as a file: URI, where these would start
	// its parameters or escapes.
	if strings.ContainsAny(path, "?#%") {
		return DB{}, errors.New("sqlite: a path holding ?, # or % is not supported")
	}
	return DB{Kind: DBSQLite, Path: path}, nil
}

const mysqlWant = "want mysql://user:pass@host:port/database (special characters of the password percent-encoded: %40 for @, %2F for /, %3F for ?, %23 for #, %25 for %)"

func parseMySQL(s string) (DB, error) {
	if strings.Contains(s, "#") {
		return DB{}, errors.New("mysql: a # in the address: " + mysqlWant)
	}
	u, err := url.Parse(s)
	if err != nil {
		// url's error quotes the text, where a password may be: say
		// only that it failed.
		return DB{}, errors.New("mysql: not an address: " + mysqlWant)
	}
	db := DB{Kind: DBMySQL}
	if u.User != nil {
		db.User = u.User.Username()
		db.Password, _ = u.User.Password()
	}
	if u.Host == "" {
		return DB{}, errors.New("mysql: no host: " + mysqlWant)
	}
	// The host and the port are not quoted in errors: an unencoded
	// password can land there.
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "3306"
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	}
	if host == "" {
		return DB{}, errors.New("mysql: no host: " + mysqlWant)
	}
	if !hostName(host) && net.ParseIP(host) == nil {
		return DB{}, errors.New("mysql: the host is neither a name nor an address (an IPv6 address goes in brackets): " + mysqlWant)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return DB{}, errors.New("mysql: the port: want 1 to 65535")
	}
	db.Addr = net.JoinHostPort(host, port)
	db.Name = strings.TrimPrefix(u.Path, "/")
	switch {
	case db.Name == "":
		return DB{}, errors.New("mysql: no database: " + mysqlWant)
	case strings.ContainsAny(db.Name, "/@"):
		return DB{}, errors.New("mysql: the database's name holds / or @: " + mysqlWant)
	}
	if u.RawQuery != "" {
		if db.Params, err = parseParams(u.RawQuery); err != nil {
			return DB{}, err
		}
	}
	return db, nil
}

// hostName reports whether s is a host name: letters, digits, '-', '.'
// and '_'.
func hostName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// DriverDurations are the parameters the MySQL driver takes itself, as
// durations; the others but tls are sent to the server as session
// variables.
var DriverDurations = map[string]bool{"timeout": true, "readTimeout": true, "writeTimeout": true}

// parseParams reads the query in its order, refusing what the driver
// could not take: an empty key, a key twice, a key without a value.
func parseParams(raw string) ([]Param, error) {
	var out []Param
	for _, kv := range strings.Split(raw, "&") {
		k, v, ok := strings.Cut(kv, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("mysql: parameter %q: a bad %%-escape", shortText(k))
		case key == "":
			return nil, errors.New("mysql: a parameter without a name")
		case !ok || val == "":
			return nil, fmt.Errorf("mysql: parameter %q without a value", shortText(key))
		}
		for _, p := range out {
			if p.Key == key {
				return nil, fmt.Errorf("mysql: parameter %q given twice", shortText(key))
			}
		}
		if DriverDurations[key] {
			if d, err := time.ParseDuration(val); err != nil || d <= 0 {
				return nil, fmt.Errorf("mysql: parameter %s=%q: want a positive duration such as 5s", key, shortText(val))
			}
		}
		out = append(out, Param{key, val})
	}
	return out, nil
}

// shortText is s as an error may quote it: at most 64 bytes.
func shortText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Text is the value as written on the command line, password included:
// what the flag holds and a file could read back.
func (d DB) Text() string { return d.format(false) }

// String is the value as logs and --check-config show it: the password
// hidden.
func (d DB) String() string { return d.format(true) }

func (d DB) format(redact bool) string {
	switch d.Kind {
	case DBNone:
		return "none"
	case DBSQLite:
		return "sqlite:" + d.Path
	}
	u := url.URL{Scheme: "mysql", Host: d.Addr, Path: "/" + d.Name}
	switch {
	case d.Password != "" && redact:
		u.User = url.UserPassword(d.User, "xxxxx")
	case d.Password != "":
		u.User = url.UserPassword(d.User, d.Password)
	case d.User != "":
		u.User = url.User(d.User)
	}
	var q []string
	for _, p := range d.Params {
		q = append(q, url.QueryEscape(p.Key)+"="+url.QueryEscape(p.Value))
	}
	u.RawQuery = strings.Join(q, "&")
	return u.String()
}

// dbFlag is --db as a flag: set by parsing. A value that does not parse
// is kept as its error, for History.Validate to say among the others:
// the flag package would quote the value, password and all.
type dbFlag struct{ h *History }

func (f dbFlag) Set(s string) error {
	f.h.DB, f.h.dbErr = ParseDB(s)
	return nil
}

// String is the value as written, which a file could read back.
func (f dbFlag) String() string {
	switch {
	case f.h == nil:
		return ""
	case f.h.dbErr != nil:
		return "(not a valid --db)"
	}
	return f.h.DB.Text()
}
