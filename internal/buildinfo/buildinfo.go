package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Info names one build.
type Info struct {
	Version   string // the release, or what Go recorded of the main module
	Revision  string // the VCS revision, "-dirty" appended for a modified tree; "unknown" when none was recorded
	GoVersion string
}

// Read returns the running binary's build info. version and revision,
// when not empty, are what the build set at link time (make build passes
// -ldflags "-X main.version=… -X main.revision=…"); otherwise they come
// from what go build recorded: the main module's version ("(devel)" for a
// local build) and the vcs.revision setting, which builds with
// -buildvcs=false and test binaries lack.
func Read(version, revision string) Info {
	i := Info{Version: version, Revision: revision, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if i.Version == "" {
			i.Version = bi.Main.Version
		}
		if i.Revision == "" {
			i.Revision = vcsRevision(bi.Settings)
		}
		if bi.GoVersion != "" {
			i.GoVersion = bi.GoVersion
		}
	}
	if i.Version == "" {
		i.Version = "(devel)"
	}
	if i.Revision == "" {
		i.Revision = "unknown"
	}
	return i
}

func vcsRevision(settings []debug.BuildSetting) string {
	var rev string
	var modified bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "-dirty"
	}
	return rev
}

// String is what `nodelist version` prints.
func (i Info) String() string {
	return fmt.Sprintf("version: %s\nrevision: %s\ngo: %s\n", i.Version, i.Revision, i.GoVersion)
}

// Register adds nodelist_build_info{version,revision,goversion} 1 to reg,
// the usual way to expose a build: a constant 1 whose labels say which,
// so that queries can join it onto other series.
func Register(reg prometheus.Registerer, i Info) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "nodelist_build_info",
		Help: "A constant 1 labelled with the running build's version, source revision and Go release.",
		ConstLabels: prometheus.Labels{
			"version": i.Version, "revision": i.Revision, "goversion": i.GoVersion,
		},
	})
	g.Set(1)
	reg.MustRegister(g)
}
