package listen

import (
	"testing"

	"nodelist/internal/config"
)

// The derived bound leaves the prober's share and the reserve out of the
// open-file limit; --max-conns overrides it.
func TestConnBudget(t *testing.T) {
	prober := 1000
	want := min(16384, max(64, config.OpenFileLimit()-prober-reservedFiles))
	if got := ConnBudget(0, prober); got != want {
		t.Errorf("derived bound %d with %d files, prober %d; want %d", got, config.OpenFileLimit(), prober, want)
	}
	if got := ConnBudget(500, prober); got != 500 {
		t.Errorf("--max-conns 500: bound %d", got)
	}
}
