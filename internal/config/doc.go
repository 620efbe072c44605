// Package config holds the service's configuration: one struct, its flags
// (each also settable as NODELIST_<FLAG>), its defaults and its
// validation, all in one place.
//
// It must not start anything; cmd/nodelist wires the parts.
package config
