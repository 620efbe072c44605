package snapshot

import (
	"bytes"
	"sync"

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

// Level says how hard to compress: Fast for publications while a round
// runs, Best for the one at its end.
type Level int

// Compression levels.
const (
	Fast Level = iota
	Best
)

// Encoded is a body in one content coding with its own strong ETag.
type Encoded struct {
	Bytes []byte
	ETag  string
}

// Variant returns the bytes and ETag of b in e; nil bytes when the
// snapshot was published without that encoding.
func (b *Body) Variant(e Encoding) ([]byte, string) {
	switch e {
	case Gzip:
		return b.Gzip.Bytes, b.Gzip.ETag
	case Brotli:
		return b.Brotli.Bytes, b.Brotli.ETag
	case Zstd:
		return b.Zstd.Bytes, b.Zstd.ETag
	}
	return b.Identity, b.ETag
}

func (b *Body) slot(e Encoding) *Encoded {
	switch e {
	case Gzip:
		return &b.Gzip
	case Brotli:
		return &b.Brotli
	case Zstd:
		return &b.Zstd
	}
	return nil
}

// Compress fills every encoding of both variants of s, which must not be
// published yet. A variant whose identity ETag equals prev's (same bytes)
// takes prev's compressed bytes instead of compressing again. The six
// compressions run in parallel. It returns s.
func (s *Snapshot) Compress(level Level, prev *Snapshot) *Snapshot {
	var wg sync.WaitGroup
	for _, pair := range [...]struct{ b, p *Body }{{&s.All, bodyOf(prev, true)}, {&s.Active, bodyOf(prev, false)}} {
		for _, e := range Encodings[1:] {
			dst := pair.b.slot(e)
			if p := pair.p; p != nil && p.ETag == pair.b.ETag && p.slot(e).Bytes != nil {
				*dst = *p.slot(e)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst.Bytes = compress(e, level, pair.b.Identity)
				dst.ETag = pair.b.ETag[:len(pair.b.ETag)-1] + suffix(e, level) + `"`
			}()
		}
	}
	wg.Wait()
	return s
}

func bodyOf(s *Snapshot, all bool) *Body {
	switch {
	case s == nil:
		return nil
	case all:
		return &s.All
	}
	return &s.Active
}

// suffix makes each encoding's ETag distinct, and distinct per level:
// the same identity compressed at another level is other bytes.
func suffix(e Encoding, l Level) string {
	s := [...]string{"", "-gz", "-br", "-zst"}[e]
	if l == Fast {
		s += "1"
	}
	return s
}

// Levels chosen from BenchmarkCompress on a 1000-CRN body: the fast ones
// cost a few milliseconds, the best ones some tens (brotli above 4 costs
// more and saves nothing on this data).
var (
	gzipLevel   = [...]int{gzip.BestSpeed, 6}
	brotliLevel = [...]int{1, 4}
	zstdLevel   = [...]zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault}
)

var zstdEncoders [2]*zstd.Encoder

func init() {
	for l := range zstdEncoders {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstdLevel[l]), zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // fixed options; cannot fail
		}
		zstdEncoders[l] = enc
	}
}

func compress(e Encoding, l Level, src []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(src)/6 + 64)
	switch e {
	case Gzip:
		w, _ := gzip.NewWriterLevel(&buf, gzipLevel[l]) // level is valid
		_, _ = w.Write(src)                             // a bytes.Buffer cannot fail
		_ = w.Close()
	case Brotli:
		w := brotli.NewWriterLevel(&buf, brotliLevel[l])
		_, _ = w.Write(src)
		_ = w.Close()
	case Zstd:
		return zstdEncoders[l].EncodeAll(src, make([]byte, 0, len(src)/6+64))
	default:
		return src
	}
	return buf.Bytes()
}
