package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"
)

// Rows back into a warm start: the last snapshot the store kept, served
// at once while the first round runs.

// Seeder takes a persisted crns.json and its last_refresh: the refresher
// of a warm restart.
type Seeder interface {
	Seed(lastRefresh time.Time, body []byte) error
}

// Seed hands the last persisted snapshot to s, so that the service serves
// it at once. A missing or unreadable snapshot is logged, not fatal.
func (h *Recorder) Seed(ctx context.Context, s Seeder) {
	saved, err := h.st.LastSnapshot(ctx)
	if err != nil {
		h.log.Warn("no warm start: reading the last snapshot failed", "err", err)
		return
	}
	if saved == nil {
		return
	}
	body, err := gunzip(saved.Body)
	if err == nil {
		err = s.Seed(saved.LastRefresh, body)
	}
	if err != nil {
		h.log.Warn("no warm start: the last snapshot is unreadable", "err", err)
		return
	}
	h.log.Info("serving the last persisted snapshot", "last_refresh", saved.LastRefresh)
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip snapshot: %w", err)
	}
	return io.ReadAll(io.LimitReader(zr, 1<<30))
}
