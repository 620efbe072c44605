package replica

import "github.com/prometheus/client_golang/prometheus"

// The replica's metrics are read from its State at scrape time: who
// leads, the epoch, the publication served, how late followers serve a
// publication, how its publications were written, and whether the
// database answers.
var (
	leaderDesc = prometheus.NewDesc("nodelist_replica_leader",
		"1 while this replica holds the leader lease (it probes and writes), else 0.", []string{"replica"}, nil)
	epochDesc = prometheus.NewDesc("nodelist_replica_epoch",
		"Epoch of the leader lease as this replica last saw it.", nil, nil)
	publicationDesc = prometheus.NewDesc("nodelist_replica_publication",
		"Version of the publication this replica serves.", nil, nil)
	lagDesc = prometheus.NewDesc("nodelist_replica_follower_lag_seconds",
		"Time from a publication written by the leader to this follower serving it, over the last publications loaded: last, p50, p99, max.",
		[]string{"stat"}, nil)
	writesDesc = prometheus.NewDesc("nodelist_replica_publication_writes_total",
		"Publications this replica wrote or tried to write as leader, by result: whole (one row), split (in parts that fit the database's max_allowed_packet), refused (too large to write; the leader serves it, followers keep the last), failed (retried).",
		[]string{"result"}, nil)
	databaseDesc = prometheus.NewDesc("nodelist_replica_database_up",
		"1 while the replicas' database answers this replica, else 0.", nil, nil)
)

type collector struct{ r *Replica }

// RegisterMetrics registers the replica's metrics on reg (nil: none).
func (r *Replica) RegisterMetrics(reg prometheus.Registerer) {
	if reg != nil {
		reg.MustRegister(collector{r})
	}
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{leaderDesc, epochDesc, publicationDesc, lagDesc, writesDesc, databaseDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.State()
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, b2f(s.Role == Leader), s.ID)
	ch <- prometheus.MustNewConstMetric(epochDesc, prometheus.GaugeValue, float64(s.Epoch))
	ch <- prometheus.MustNewConstMetric(publicationDesc, prometheus.GaugeValue, float64(s.Version))
	for stat, ms := range map[string]*float64{"last": s.Lag.LastMS, "p50": s.Lag.P50MS, "p99": s.Lag.P99MS, "max": s.Lag.MaxMS} {
		if ms != nil {
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, *ms/1000, stat)
		}
	}
	for result, n := range map[string]int64{"whole": s.Writes.Whole, "split": s.Writes.Split, "refused": s.Writes.Refused, "failed": s.Writes.Failed} {
		ch <- prometheus.MustNewConstMetric(writesDesc, prometheus.CounterValue, float64(n), result)
	}
	ch <- prometheus.MustNewConstMetric(databaseDesc, prometheus.GaugeValue, b2f(s.Since == nil))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
