package mysql

import (
	"errors"
	"time"

	"github.com/go-sql-driver/mysql"

	"nodelist/internal/config"
	"nodelist/internal/store/sqlstore"
)

// Config is the driver's configuration of a parsed --db mysql://…
// address: the address is read once, by config.ParseDB, and never again.
// Params tls, timeout, readTimeout and writeTimeout are the driver's,
// the others sent to the server as session variables.
func Config(db config.DB) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd = db.User, db.Password
	c.Net = "tcp"
	c.Addr = db.Addr
	c.DBName = db.Name
	c.Timeout = 5 * time.Second
	c.ReadTimeout = 30 * time.Second
	c.WriteTimeout = 30 * time.Second
	c.MaxAllowedPacket = sqlstore.ClientMaxPacket
	// Interpolating arguments client-side makes each statement one round
	// trip instead of three (prepare, execute, close); the driver does it
	// safely for the utf8mb4 connection charset.
	c.InterpolateParams = true
	c.Params = map[string]string{}
	for _, p := range db.Params {
		c.Params[p.Key] = p.Value
	}
	if v, ok := c.Params["tls"]; ok {
		c.TLSConfig = v
		delete(c.Params, "tls")
	}
	// The driver's own durations (checked by config.ParseDB), which the
	// server would refuse as session variables.
	for key, d := range map[string]*time.Duration{"timeout": &c.Timeout, "readTimeout": &c.ReadTimeout, "writeTimeout": &c.WriteTimeout} {
		if v, ok := c.Params[key]; ok {
			if t, err := time.ParseDuration(v); err == nil && t > 0 {
				*d = t
			}
			delete(c.Params, key)
		}
	}
	return c
}

// ParseDSN turns mysql://user:pass@host:port/db?params into the driver's
// configuration, through config.ParseDB: for tests and tools holding the
// text (NODELIST_TEST_MYSQL_DSN).
func ParseDSN(dsn string) (*mysql.Config, error) {
	db, err := config.ParseDB(dsn)
	if err != nil {
		return nil, err
	}
	if db.Kind != config.DBMySQL {
		return nil, errors.New("want mysql://user:pass@host:port/database")
	}
	return Config(db), nil
}
