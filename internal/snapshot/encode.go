package snapshot

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Encoding is a content coding a body is served in.
type Encoding int

// The encodings of a body, Identity first.
const (
	Identity Encoding = iota
	Gzip
	Brotli
	Zstd
	numEncodings
)

// Encodings lists every encoding, Identity first.
var Encodings = [...]Encoding{Identity, Gzip, Brotli, Zstd}

// Token is the encoding's name in Accept-Encoding and Content-Encoding.
func (e Encoding) Token() string {
	return [...]string{"identity", "gzip", "br", "zstd"}[e]
}

// encoded is one content coding of a body, built at most once, on first
// request: a publication nobody asks for in that coding costs nothing,
// and concurrent first requests wait for the one build.
type encoded struct {
	once  sync.Once
	bytes []byte
	etag  string
	built atomic.Bool // set once bytes and etag are
}

// encodings are a body's compressed codings, shared by every snapshot
// whose body has the same bytes (see Reuse).
type encodings [numEncodings]encoded

// Variant returns the bytes and ETag of b in e, compressing them on the
// first call for e. Each coding has one fixed level, so its bytes and ETag
// are a function of the identity bytes alone: the same content gives the
// same bytes and ETag in any process, replica or restart.
func (b *Body) Variant(e Encoding) ([]byte, string) {
	if e == Identity || e >= numEncodings || b.enc == nil {
		return b.Identity, b.ETag
	}
	x := &b.enc[e]
	x.once.Do(func() {
		x.bytes = compress(e, b.Identity)
		x.etag = b.ETag[:len(b.ETag)-1] + [...]string{"", "-gz", "-br", "-zst"}[e] + `"`
		x.built.Store(true)
	})
	return x.bytes, x.etag
}

// Built reports whether b's bytes in e are built already, without
// building them.
func (b *Body) Built(e Encoding) bool {
	return e == Identity || (b.enc != nil && e < numEncodings && b.enc[e].built.Load())
}

// Encoded reports whether b is served compressed: false only for a Body
// not made by Build.
func (b *Body) Encoded() bool { return b.enc != nil }

// Reuse makes each variant of s whose bytes equal prev's take prev's
// identity bytes, ETag and encodings (built or not), so that an unchanged
// body is neither held twice nor compressed again. s must not be
// published yet. It returns s.
//
// A snapshot whose variants both equal prev's keeps prev's Built: its
// Last-Modified says when the body last changed, whichever replica serves
// it and however many times it was published since.
func (s *Snapshot) Reuse(prev *Snapshot) *Snapshot {
	if prev == nil {
		return s
	}
	same := 0
	for _, pair := range [...]struct{ b, p *Body }{{&s.All, &prev.All}, {&s.Active, &prev.Active}} {
		if pair.p.enc != nil && bytes.Equal(pair.b.Identity, pair.p.Identity) {
			pair.b.Identity, pair.b.ETag, pair.b.enc = pair.p.Identity, pair.p.ETag, pair.p.enc
			same++
		}
	}
	if s.All.enc == prev.All.enc {
		s.point() // the CRNs point into the body kept, not the one dropped
	}
	if same == 2 {
		s.Built = prev.Built
	}
	return s
}

// One level per coding, chosen from BenchmarkLevels on a 1000-CRN body
// and the same levels on the simulated fleet's 1000-node crns.json
// (figures in BENCHMARKS.md): zstd at its fastest level costs least and
// compresses best of the three at their levels (10.5% / 11.8%); gzip 6
// saves 13% of gzip 2's bytes on the fleet's body for twice its
// time (8 ms); brotli 1 costs about as much as gzip 6 for about the same
// size (11.5% / 12.9%), and the levels that beat it cost two to five
// times more. A coding is built once per publication, and only when a
// client asks for it.
const (
	gzipLevel   = 6
	brotliLevel = 1
)

// zstdOptions: a 1 MiB window, since a larger one saved nothing on a
// 1.6 MB body and the encoder allocates a history of that size.
var zstdOptions = []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
	zstd.WithWindowSize(1 << 20), zstd.WithLowerEncoderMem(true)}

// compress encodes src with a new encoder, dropped after: encodings are
// built once per publication at most, and a pooled encoder's tables
// (about 9 MiB for the three) would stay in the live heap between
// publications, which the collector then doubles in resident memory.
func compress(e Encoding, src []byte) []byte {
	buf := bytes.NewBuffer(make([]byte, 0, len(src)/6+64))
	switch e {
	case Gzip:
		w, _ := gzip.NewWriterLevel(buf, gzipLevel) // level is valid
		_, _ = w.Write(src)                         // a bytes.Buffer cannot fail
		_ = w.Close()
	case Brotli:
		w := brotli.NewWriterLevel(buf, brotliLevel)
		_, _ = w.Write(src)
		_ = w.Close()
	case Zstd:
		enc, err := zstd.NewWriter(nil, zstdOptions...)
		if err != nil {
			panic(err) // fixed options; cannot fail
		}
		return enc.EncodeAll(src, buf.Bytes())
	default:
		return src
	}
	return buf.Bytes()
}
