package mysql

import (
	"context"
	"testing"
	"time"
)

// The driver's own parameters set its configuration; the others go to
// the server as session variables. The server refuses a session variable
// named timeout ("Unknown system variable"), so a timeout passed there
// would fail every connection.
func TestConfigParams(t *testing.T) {
	c, err := ParseDSN("mysql://u:p@h/db?tls=true&timeout=2s&readTimeout=1m&writeTimeout=45s&sql_mode=ANSI")
	if err != nil {
		t.Fatal(err)
	}
	if c.TLSConfig != "true" || c.Timeout != 2*time.Second || c.ReadTimeout != time.Minute || c.WriteTimeout != 45*time.Second {
		t.Errorf("driver settings: tls %q, timeouts %s %s %s", c.TLSConfig, c.Timeout, c.ReadTimeout, c.WriteTimeout)
	}
	if len(c.Params) != 1 || c.Params["sql_mode"] != "ANSI" {
		t.Errorf("session variables %v, want only sql_mode", c.Params)
	}
	if c.Addr != "h:3306" || c.DBName != "db" || c.User != "u" || c.Passwd != "p" {
		t.Errorf("address %s, database %s, user %s", c.Addr, c.DBName, c.User)
	}
	d, err := ParseDSN("mysql://u:p@h/db")
	if err != nil || d.Timeout != 5*time.Second || d.ReadTimeout != 30*time.Second || len(d.Params) != 0 {
		t.Errorf("defaults: %v, timeouts %s %s, params %v", err, d.Timeout, d.ReadTimeout, d.Params)
	}
}

// TestTimeoutParamConnects connects with the driver's timeouts in the
// address, as the README's example writes them.
func TestTimeoutParamConnects(t *testing.T) {
	db, err := Connect(context.Background(), testDSN(t)+"?timeout=5s&readTimeout=30s", Pool{MaxOpen: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %d, %v", one, err)
	}
}
