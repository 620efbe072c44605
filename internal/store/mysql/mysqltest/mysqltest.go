// Package mysqltest gives tests of other packages a MySQL or MariaDB
// database of their own. It must not be imported outside tests.
package mysqltest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	nlmysql "nodelist/internal/store/mysql"
)

// DSN returns the DSN of a new database of the test's own, dropped at its
// end, and that database's name; it skips the test when
// NODELIST_TEST_MYSQL_DSN is unset.
func DSN(t testing.TB) (dsn, name string) {
	t.Helper()
	base := os.Getenv("NODELIST_TEST_MYSQL_DSN")
	if base == "" {
		t.Skip("NODELIST_TEST_MYSQL_DSN is not set (e.g. mysql://nodelist:nodelist@127.0.0.1:3306/nodelist_test); .ci/run sets it and starts MariaDB")
	}
	cfg, err := nlmysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("NODELIST_TEST_MYSQL_DSN: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = cfg.DBName + "_" + hex.EncodeToString(b)
	admin := Admin(t)
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a := Admin(t)
		_, _ = a.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		a.Close()
	})
	return strings.Replace(base, "/"+cfg.DBName, "/"+name, 1), name
}

// Admin is a connection to the server without a database, as the user of
// NODELIST_TEST_MYSQL_DSN.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := nlmysql.ParseDSN(os.Getenv("NODELIST_TEST_MYSQL_DSN"))
	if err != nil {
		t.Fatalf("NODELIST_TEST_MYSQL_DSN: %v", err)
	}
	c := cfg.Clone()
	c.DBName = ""
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db
}

// KillConnections kills every connection to database name but admin's
// own: what a database restart does to its clients, without touching
// anyone else's connections. It returns how many it killed.
func KillConnections(admin *sql.DB, name string) (int, error) {
	rows, err := admin.Query("SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()", name)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		if _, err := admin.Exec(fmt.Sprintf("KILL CONNECTION %d", id)); err == nil {
			n++
		}
	}
	return n, nil
}
