package snapshot

import (
	"testing"
	"time"
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

// BenchmarkBuildCompressed is a publication with every encoding, at each
// level, without a previous snapshot to reuse.
func BenchmarkBuildCompressed(b *testing.B) {
	crns := fleetCRNs(b, 1000)
	at := time.Now()
	for _, lv := range []struct {
		name  string
		level Level
	}{{"fast", Fast}, {"best", Best}} {
		b.Run(lv.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Build(at, crns).Compress(lv.level, nil)
			}
		})
	}
}

// BenchmarkCompress measures each encoding and level alone on the
// 1000-CRN body, and reports the compressed size relative to identity.
func BenchmarkCompress(b *testing.B) {
	body := Build(time.Now(), fleetCRNs(b, 1000)).All.Identity
	for _, e := range Encodings[1:] {
		for _, l := range []Level{Fast, Best} {
			name := e.Token() + map[Level]string{Fast: "-fast", Best: "-best"}[l]
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				var out []byte
				for b.Loop() {
					out = compress(e, l, body)
				}
				b.ReportMetric(float64(len(out))/float64(len(body))*100, "%size")
			})
		}
	}
}

// BenchmarkCompressUnchanged is a publication whose bodies equal the
// previous snapshot's: the compressed bytes are reused.
func BenchmarkCompressUnchanged(b *testing.B) {
	crns := fleetCRNs(b, 1000)
	at := time.Now()
	prev := Build(at, crns).Compress(Best, nil)
	b.ReportAllocs()
	for b.Loop() {
		Build(at, crns).Compress(Best, prev)
	}
}
