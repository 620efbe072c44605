package snapshot

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// TestCompressedSwaps runs readers decoding the gzip bytes of the current
// snapshot while a writer publishes compressed snapshots; -race checks
// that no reader sees bytes being written, and each decodes to its own
// snapshot's identity.
func TestCompressedSwaps(t *testing.T) {
	crns := fleetCRNs(t, 20)
	var h Holder
	h.Store(Build(time.Time{}, crns).Compress(Fast, nil))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Load()
				zr, err := gzip.NewReader(bytes.NewReader(s.Active.Gzip.Bytes))
				if err != nil {
					t.Error(err)
					return
				}
				if b, err := io.ReadAll(zr); err != nil || !bytes.Equal(b, s.Active.Identity) {
					t.Errorf("gzip bytes do not decode to the identity: %v", err)
					return
				}
			}
		}()
	}
	prev := h.Load()
	for i := range 30 {
		level := Fast
		if i%5 == 4 {
			level = Best
		}
		prev = Build(time.Unix(int64(i/2), 0), crns).Compress(level, prev)
		h.Store(prev)
	}
	close(stop)
	wg.Wait()
}
