// Package buildinfo says which build of nodelist is running: its version,
// the source revision it was built from and the Go release that built it,
// for `nodelist version` and the nodelist_build_info metric.
//
// It must not read configuration nor depend on another part of the
// service: every part may import it.
package buildinfo
