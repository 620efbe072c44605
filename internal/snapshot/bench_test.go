package snapshot

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// BenchmarkBuild joins 1000 rendered CRNs into both variants: the cost of
// one publication without compression.
func BenchmarkBuild(b *testing.B) {
	crns := fleetCRNs(b, 1000)
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		Build(at, crns)
	}
	s := Build(at, crns)
	b.ReportMetric(float64(len(s.All.Identity)), "body-bytes")
}

// BenchmarkBuildEncoded is a publication whose every encoding is then
// asked for, without a previous snapshot to reuse.
func BenchmarkBuildEncoded(b *testing.B) {
	crns := fleetCRNs(b, 1000)
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s := Build(at, crns)
		for _, e := range Encodings[1:] {
			s.All.Variant(e)
			s.Active.Variant(e)
		}
	}
}

// BenchmarkCompress measures each encoding alone, at its level, on the
// 1000-CRN body, and reports the compressed size relative to identity.
func BenchmarkCompress(b *testing.B) {
	body := Build(time.Now(), fleetCRNs(b, 1000)).All.Identity
	for _, e := range Encodings[1:] {
		b.Run(e.Token(), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			var out []byte
			for b.Loop() {
				out = compress(e, body)
			}
			b.ReportMetric(float64(len(out))/float64(len(body))*100, "%size")
		})
	}
}

// BenchmarkLevels compares the levels of each coding on the 1000-CRN
// body, by time and size, to choose the one level each is built at.
func BenchmarkLevels(b *testing.B) {
	body := Build(time.Now(), fleetCRNs(b, 1000)).All.Identity
	levels := []struct {
		name string
		enc  func([]byte) []byte
	}{}
	for _, l := range []int{1, 2, 4, 5, 6, 7, 9} {
		levels = append(levels, struct {
			name string
			enc  func([]byte) []byte
		}{fmt.Sprint("gzip-", l), func(src []byte) []byte {
			var buf bytes.Buffer
			w, _ := gzip.NewWriterLevel(&buf, l)
			_, _ = w.Write(src)
			_ = w.Close()
			return buf.Bytes()
		}})
	}
	for _, l := range []int{0, 1, 2, 3, 4, 5} {
		levels = append(levels, struct {
			name string
			enc  func([]byte) []byte
		}{fmt.Sprint("br-", l), func(src []byte) []byte {
			var buf bytes.Buffer
			w := brotli.NewWriterLevel(&buf, l)
			_, _ = w.Write(src)
			_ = w.Close()
			return buf.Bytes()
		}})
	}
	for _, l := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
		if err != nil {
			b.Fatal(err)
		}
		levels = append(levels, struct {
			name string
			enc  func([]byte) []byte
		}{"zstd-" + l.String(), func(src []byte) []byte { return enc.EncodeAll(src, nil) }})
	}
	for _, lv := range levels {
		b.Run(lv.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			var out []byte
			for b.Loop() {
				out = lv.enc(body)
			}
			b.ReportMetric(float64(len(out))/float64(len(body))*100, "%size")
		})
	}
}

// BenchmarkReuseUnchanged is a publication whose bodies equal the
// previous snapshot's: it takes their bytes and encodings.
func BenchmarkReuseUnchanged(b *testing.B) {
	crns := fleetCRNs(b, 1000)
	at := time.Now()
	prev := Build(at, crns)
	b.ReportAllocs()
	for b.Loop() {
		Build(at, crns).Reuse(prev)
	}
}
