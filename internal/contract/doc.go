// Package contract checks a crns.json document against the contract the
// strictest clients hold it to: the JSON Schema in crns.schema.json (the
// shared contract, refined with the keys the service adds and the registry
// fields it types; a test checks it loosens nothing of the shared one) plus
// the byte-level rule a schema cannot see, that integer fields are written
// without a fraction.
//
// Tests validate every fleet's output with it, and `nodelist snapshot
// --validate` checks a live round. It must not change what it checks.
package contract
