package notify

import (
	"context"
	"log/slog"
	"testing"

	"nodelist/internal/probe"
	"nodelist/internal/store/memory"
)

// BenchmarkJudgeRound is one round of a 5 000-node fleet judged and
// written, a few nodes changing: the work each round costs beside the
// round itself, on the notifier's goroutine.
func BenchmarkJudgeRound(b *testing.B) {
	st, err := memory.New(probe.Names()...)
	if err != nil {
		b.Fatal(err)
	}
	n := New(Options{Logger: slog.New(slog.DiscardHandler), Store: st, Subscriptions: []Subscription{{URL: "http://127.0.0.1:9/hook"}}, After: 1})
	f := &fleet{n: 5000}
	ctx := context.Background()
	n.judge(ctx, job{round: f.next(func(int) bool { return false })})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		r := f.next(func(j int) bool { return j%1000 == i%1000 })
		b.StartTimer()
		n.judge(ctx, job{round: r})
	}
}
