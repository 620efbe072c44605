// Package consumers judges crns.json as the strict clients that read it
// do: aleph-sdk-python, aleph-rs, the Aleph console and aleph-client.
// Each client's rules (required keys, types, nullability, what one bad
// entry costs, and the filters that decide which nodes a user can pick)
// are written here as code, each citing the client's file it models; they
// are restated from those files, not copied from them.
//
// It is for tests: it must not be imported by the service itself, and it
// judges a document without changing it.
package consumers
