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
// snapshot, built by whichever reader asks first, while a writer
// publishes snapshots; -race checks that no reader sees bytes being
// written, and each decodes to its own snapshot's identity.
func TestCompressedSwaps(t *testing.T) {
	crns := fleetCRNs(t, 20)
	var h Holder
	h.Store(Build(time.Time{}, crns))
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
				gz, _ := s.Active.Variant(Gzip)
				zr, err := gzip.NewReader(bytes.NewReader(gz))
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
		prev = Build(time.Unix(int64(i/2), 0), crns).Reuse(prev)
		h.Store(prev)
	}
	close(stop)
	wg.Wait()
}

// TestEncodingsLazy: a snapshot is published with no encoding built; the
// first request for one builds it, once, however many ask at the same
// time, and builds no other.
func TestEncodingsLazy(t *testing.T) {
	s := Build(time.Unix(1, 0), fleetCRNs(t, 50))
	for _, e := range Encodings[1:] {
		if s.All.Built(e) || s.Active.Built(e) {
			t.Fatalf("%s built at publication", e.Token())
		}
	}
	const askers = 8
	got := make([][]byte, askers)
	var wg sync.WaitGroup
	for i := range askers {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = s.All.Variant(Zstd) }()
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) == 0 || &got[i][0] != &got[0][0] {
			t.Fatalf("asker %d got other bytes: built more than once", i)
		}
	}
	for _, e := range []Encoding{Gzip, Brotli} {
		if s.All.Built(e) {
			t.Errorf("%s built though only zstd was asked for", e.Token())
		}
	}
	if s.Active.Built(Zstd) {
		t.Error("the active variant's zstd built though only the full list's was asked for")
	}
}

// TestEncodingsPure: the bytes and ETag of every encoding are a function
// of the content alone: two snapshots of the same CRNs, built apart and
// asked in another order, give the same bytes and ETags (as a replica or
// a restarted service would), and other content gives other ETags.
func TestEncodingsPure(t *testing.T) {
	crns := fleetCRNs(t, 50)
	a := Build(time.Unix(1, 0), crns)
	b := Build(time.Unix(1, 0), crns)
	other := Build(time.Unix(2, 0), crns)
	for i := len(Encodings) - 1; i >= 0; i-- {
		b.All.Variant(Encodings[i])
	}
	for _, e := range Encodings {
		ab, at := a.All.Variant(e)
		bb, bt := b.All.Variant(e)
		if !bytes.Equal(ab, bb) || at != bt {
			t.Errorf("%s: same content, other bytes or ETag (%s, %s)", e.Token(), at, bt)
		}
		if _, ot := other.All.Variant(e); ot == at {
			t.Errorf("%s: other content, same ETag %s", e.Token(), at)
		}
	}
}

// TestActiveSharesAllWithoutInactive: with no inactive CRN both variants
// are the same bytes, held and compressed once; with one, they differ.
func TestActiveSharesAllWithoutInactive(t *testing.T) {
	crns := fleetCRNs(t, 20)
	for i := range crns {
		crns[i].Inactive = false
	}
	s := Build(time.Unix(1, 0), crns)
	a, at := s.All.Variant(Gzip)
	b, bt := s.Active.Variant(Gzip)
	if &s.All.Identity[0] != &s.Active.Identity[0] || &a[0] != &b[0] || at != bt || s.ActiveCount != s.Count {
		t.Error("variants of the same bytes held or compressed twice")
	}
	crns[3].Inactive = true
	s = Build(time.Unix(1, 0), crns)
	if bytes.Equal(s.All.Identity, s.Active.Identity) || s.All.ETag == s.Active.ETag || s.ActiveCount != s.Count-1 {
		t.Error("an inactive CRN left the active variant unchanged")
	}
}
