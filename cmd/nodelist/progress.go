package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"nodelist/internal/refresh"
)

// statusLine keeps one line of progress at the foot of a terminal, below
// the logs: a log line written while it shows clears it first and draws
// it again after, so the two never share a line.
type statusLine struct {
	mu   sync.Mutex
	w    io.Writer
	line string // on screen now, without a newline; "" when none
}

// eraseLine is a carriage return and "erase to the end of the line".
const eraseLine = "\r\x1b[K"

// Write writes log lines above the status line.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.w, eraseLine)
	}
	n, err := s.w.Write(p)
	if s.line != "" {
		io.WriteString(s.w, s.line)
	}
	return n, err
}

// show replaces the status line; done writes its last state and ends it
// with a newline.
func (s *statusLine) show(line string, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.w, eraseLine+line)
	s.line = line
	if done {
		io.WriteString(s.w, "\n")
		s.line = ""
	}
}

// progress shows the round's progress on sl until stopped; stop writes
// the final count on its own line and may be called more than once.
func progress(ref *refresh.Refresher, sl *statusLine) (stop func()) {
	end := ref.Watch(200*time.Millisecond, func(st refresh.Status, final bool) {
		if final {
			sl.show(fmt.Sprintf("probed %d/%d nodes, %d responsive", st.Probed, st.Targets, st.Responsive), true)
			return
		}
		sl.show(fmt.Sprintf("probed %d/%d nodes", st.Probed, st.Targets), false)
	})
	var once sync.Once
	return func() { once.Do(end) }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
