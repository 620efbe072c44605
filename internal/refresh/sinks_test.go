package refresh

import (
	"fmt"
	"slices"
	"testing"
)

// Sinks hands every round to each of its sinks, in their order, and skips
// a nil one.
func TestSinksInOrder(t *testing.T) {
	var got []string
	sink := func(name string) Sink {
		return SinkFunc(func(r *Round) { got = append(got, fmt.Sprint(name, ":", r.N)) })
	}
	s := Sinks{sink("history"), nil, sink("notify")}
	s.Record(&Round{N: 1})
	s.Record(&Round{N: 2})
	want := []string{"history:1", "notify:1", "history:2", "notify:2"}
	if !slices.Equal(got, want) {
		t.Errorf("sinks called %v, want %v", got, want)
	}
}
