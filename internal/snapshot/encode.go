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
	Level Level // how hard Bytes were compressed; meaningless without Bytes
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

// Compress fills the encodings of both variants of s, which must not be
// published yet: gzip and zstd at any level, brotli at Best only (it is
// the slowest, and a client that accepts it accepts the others). A
// variant whose identity ETag equals prev's (same bytes) takes prev's
// compressed bytes instead of compressing again. It returns s.
//
// A snapshot whose variants both equal prev's keeps prev's Built: its
// Last-Modified says when the body last changed, whichever replica serves
// it and however many times it was published since.
//
// The compressions run one after another: publication is off the request
// path, and one encoder at a time keeps the peak memory low.
func (s *Snapshot) Compress(level Level, prev *Snapshot) *Snapshot {
	if prev != nil && prev.All.ETag == s.All.ETag && prev.Active.ETag == s.Active.ETag {
		s.Built = prev.Built
	}
	for _, pair := range [...]struct{ b, p *Body }{{&s.All, bodyOf(prev, true)}, {&s.Active, bodyOf(prev, false)}} {
		for _, e := range Encodings[1:] {
			dst := pair.b.slot(e)
			if p := pair.p; p != nil && p.ETag == pair.b.ETag && p.slot(e).Bytes != nil {
				*dst = *p.slot(e)
				continue
			}
			if e == Brotli && level == Fast {
				continue
			}
			*dst = encode(e, level, pair.b)
		}
	}
	return s
}

// encode compresses b's identity bytes in e at level, with the ETag that
// names exactly those bytes.
func encode(e Encoding, level Level, b *Body) Encoded {
	return Encoded{Bytes: compress(e, level, b.Identity), ETag: b.ETag[:len(b.ETag)-1] + suffix(e, level) + `"`, Level: level}
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
// cost about 3 ms each; at Best, gzip 6 saves a tenth of gzip 1's bytes
// for 5 ms more, brotli above 1 costs four times as much for 4%, and zstd
// at its fastest level both costs least and compresses best on this data.
var (
	gzipLevel   = [...]int{gzip.BestSpeed, 6}
	brotliLevel = 1
)

var (
	zstdEncoder  *zstd.Encoder // EncodeAll is safe for concurrent use
	gzipWriters  [2]sync.Pool
	brotliWriter sync.Pool
)

func init() {
	// A 1 MiB window: the encoder keeps a history buffer of about that
	// size for good, and a larger one saved nothing on a 1.6 MB body.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err) // fixed options; cannot fail
	}
	zstdEncoder = enc
}

// compress encodes src; encoders are pooled, since each holds large
// tables that would otherwise be allocated at every publication.
func compress(e Encoding, l Level, src []byte) []byte {
	buf := bytes.NewBuffer(make([]byte, 0, len(src)/6+64))
	switch e {
	case Gzip:
		w, _ := gzipWriters[l].Get().(*gzip.Writer)
		if w == nil {
			w, _ = gzip.NewWriterLevel(buf, gzipLevel[l]) // level is valid
		} else {
			w.Reset(buf)
		}
		_, _ = w.Write(src) // a bytes.Buffer cannot fail
		_ = w.Close()
		gzipWriters[l].Put(w)
	case Brotli:
		w, _ := brotliWriter.Get().(*brotli.Writer)
		if w == nil {
			w = brotli.NewWriterLevel(buf, brotliLevel)
		} else {
			w.Reset(buf)
		}
		_, _ = w.Write(src)
		_ = w.Close()
		brotliWriter.Put(w)
	case Zstd:
		return zstdEncoder.EncodeAll(src, buf.Bytes())
	default:
		return src
	}
	return buf.Bytes()
}
