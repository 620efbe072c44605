package history

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the history writer's: its queue and what each write costs.
// A nil *metrics records nothing.
type metrics struct {
	writes [2]prometheus.Observer // by result: ok, error
}

// RegisterMetrics registers the writer's metrics on reg (nil: none). Call
// it before Run.
func (w *Writer) RegisterMetrics(reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	writes := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "nodelist_store_write_duration_seconds",
		Help:    "Duration of each attempt to write a round to the history store, by result (ok or error).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15), // 1 ms to 16 s
	}, []string{"result"})
	status := func(f func(WriterStatus) float64) func() float64 {
		return func() float64 { return f(w.Status()) }
	}
	reg.MustRegister(writes,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nodelist_store_queue_rounds",
			Help: "Rounds waiting to be written to the history store, the one being written included.",
		}, status(func(s WriterStatus) float64 { return float64(s.Backlog) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nodelist_store_queue_capacity_rounds",
			Help: "Rounds the history queue holds at most (--history-queue); at it, the oldest is dropped.",
		}, status(func(s WriterStatus) float64 { return float64(s.Max) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "nodelist_store_rounds_written_total",
			Help: "Rounds written to the history store.",
		}, status(func(s WriterStatus) float64 { return float64(s.Written) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "nodelist_store_rounds_dropped_total",
			Help: "Rounds dropped unwritten because the history queue was full.",
		}, status(func(s WriterStatus) float64 { return float64(s.Dropped) })),
	)
	w.metrics = &metrics{writes: [2]prometheus.Observer{writes.WithLabelValues("ok"), writes.WithLabelValues("error")}}
}

// wrote records one write attempt.
func (m *metrics) wrote(took time.Duration, err error) {
	if m == nil {
		return
	}
	i := 0
	if err != nil {
		i = 1
	}
	m.writes[i].Observe(took.Seconds())
}
