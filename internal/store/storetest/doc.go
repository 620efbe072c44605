// Package storetest is the behavioural suite every store backend passes,
// so that SQLite and MySQL are held to the same rules.
//
// It must not depend on any backend; each backend's test calls Run.
package storetest
