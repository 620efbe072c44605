// Package memory is the history store of --db none: the same
// store.Store as the SQL backends, passing the same storetest suite, with
// every row kept in the process's memory and lost at exit. Pruning (the
// history recorder's, every few minutes) bounds it by the retention settings, as
// it bounds a database.
//
// It must not import the SQL backends nor start anything.
package memory
