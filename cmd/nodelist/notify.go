package main

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/config"
	"nodelist/internal/notify"
	"nodelist/internal/store"
)

// subscriptions are the notification settings as the notifier's
// subscriptions, checked: each --notify-url a JSON one without filters,
// then the file's notify: list.
func subscriptions(nc *config.Notify) ([]notify.Subscription, error) {
	var out []notify.Subscription
	for _, u := range nc.URLs {
		out = append(out, notify.Subscription{URL: u})
	}
	for _, s := range nc.Subscriptions {
		sub := notify.Subscription{URL: s.URL, Owners: s.Owners, Hashes: s.Hashes, Format: notify.Format(s.Format), ChatID: s.ChatID}
		for _, e := range s.Events {
			sub.Events = append(sub.Events, notify.Kind(e))
		}
		out = append(out, sub)
	}
	var errs []error
	for _, s := range out {
		errs = append(errs, s.Validate())
	}
	return out, errors.Join(append(errs, nc.Validate())...)
}

// newNotifier returns the notifier of nc over st, or nil when neither
// notifications nor per-node metrics are asked for. term is a replica's
// (nil for a single instance); lastVersion reads the settings'
// last_crn_version.
func newNotifier(nc *config.Notify, st store.Store, term func() (store.Term, bool), lastVersion func() string,
	reg prometheus.Registerer, log *slog.Logger) (*notify.Notifier, error) {
	if !nc.Enabled() && !nc.NodeMetrics {
		return nil, nil
	}
	subs, err := subscriptions(nc)
	if err != nil {
		return nil, err
	}
	ns, ok := st.(store.Notifier)
	if !ok {
		return nil, errors.New("notifications: the history store keeps no notification state")
	}
	return notify.New(notify.Options{Store: ns, Subscriptions: subs, After: nc.After, RetryFor: nc.RetryFor,
		LastVersion: lastVersion, Term: term, NodeMetrics: nc.NodeMetrics, Registerer: reg, Logger: log}), nil
}
