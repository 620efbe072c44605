package main

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/mysql/mysqltest"
)

// Two replicas on one MariaDB database, the leader killed (kill -9) once
// a node's down is written and before it is delivered (the receiver
// refuses meanwhile): the next leader delivers that down, once, and
// judges nothing again; the node's recovery is delivered once too.
func TestNotifyReplicasLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two replicas for some thirty seconds")
	}
	dsn, _ := mysqltest.DSN(t)
	bin := buildBinary(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 8, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	h := newHookReceiver(t)
	h.setFailing(true)
	args := func(id string) []string {
		return []string{"--api-url", fleet.APIURL(), "--allow-private-targets", "--refresh-interval", "1s", "--timeout", "1s",
			"--db", dsn, "--replica-id", id, "--notify-url", h.srv.URL, "--notify-after", "2"}
	}
	procs := []*proc{startProc(t, bin, "n1", args("n1")...), startProc(t, bin, "n2", args("n2")...)}
	alive := map[int]bool{0: true, 1: true}
	leader, _ := waitLeader(t, procs, alive, -1, 30*time.Second)
	waitFor(t, "two rounds of the leader", 20*time.Second, func() bool {
		tk, err := procs[leader].task()
		return err == nil && tk.Round >= 2
	})
	st, err := mysql.Open(context.Background(), dsn, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func(where string, args ...any) int {
		var n int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM notify_outbox WHERE "+where, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	node := fleet.Nodes()[3]
	downRow := `body LIKE '%"event":"down"%' AND body LIKE ?`
	like := "%" + node.Hash + "%"
	fleet.SetKind(node.Index, simfleet.KindFailing)
	waitFor(t, "the down written", 20*time.Second, func() bool { return count(downRow, like) == 1 })
	if n := count(downRow+" AND delivered = 0", like); n != 1 {
		t.Fatalf("%d undelivered down rows before the kill, want 1", n)
	}
	waitFor(t, "a refused attempt", 10*time.Second, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return len(h.attempts) > 0 })
	oldEpoch := mustTask(t, procs[leader]).Replica.Epoch
	procs[leader].signal(syscall.SIGKILL)
	<-procs[leader].done
	delete(alive, leader)
	h.setFailing(false)
	next, took := waitLeader(t, procs, alive, oldEpoch, takeoverWithin)
	t.Logf("%s leads %s after the kill", procs[next].name, took.Round(time.Millisecond))
	waitFor(t, "the down delivered", 30*time.Second, func() bool { return len(h.events(node.Hash)) >= 1 })
	fleet.SetKind(node.Index, simfleet.KindOK)
	waitFor(t, "the recovery delivered", 30*time.Second, func() bool { return len(h.events(node.Hash)) >= 2 })
	at := mustTask(t, procs[next]).Round
	waitFor(t, "three more rounds", 20*time.Second, func() bool {
		tk, err := procs[next].task()
		return err == nil && tk.Round >= at+3
	})
	if got := h.events(node.Hash); !slices.Equal(got, []string{"down", "recovered"}) {
		t.Fatalf("received %v, want one down and one recovered", got)
	}
	if n := count(downRow, like); n != 1 {
		t.Fatalf("%d down rows, want 1: the new leader judged the node again", n)
	}
	if n := count("delivered = 0"); n != 0 {
		t.Fatalf("%d messages left undelivered", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if id := h.got[0]["id"]; h.attempts[id] < 2 {
		t.Errorf("the down %s was attempted %d times, want its refused attempts and its delivery under one id", id, h.attempts[id])
	}
	procs[next].signal(syscall.SIGTERM)
	<-procs[next].done
}
