package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRead(t *testing.T) {
	if got := Read("v1.0.0", "abc"); got != (Info{"v1.0.0", "abc", runtime.Version()}) {
		t.Errorf("link-time values: %+v", got)
	}
	// A test binary records its module but no VCS revision.
	if got := Read("", ""); got.Version == "" || got.Revision != "unknown" || got.GoVersion != runtime.Version() {
		t.Errorf("recorded values: %+v", got)
	}
}

func TestVCSRevision(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, "abc"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}, "abc"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc"}}, "abc-dirty"},
	} {
		if got := vcsRevision(tc.settings); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.settings, got, tc.want)
		}
	}
}

func TestRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	Register(reg, Info{"v1.0.0", "abc", "go1.26"})
	want := `# HELP nodelist_build_info A constant 1 labelled with the running build's version, source revision and Go release.
# TYPE nodelist_build_info gauge
nodelist_build_info{goversion="go1.26",revision="abc",version="v1.0.0"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
