package refresh

import "time"

// Watch calls f with the status every interval until stop is called, then
// once more with final set; stop waits for that last call. It lets a
// command show a round's progress without polling on its own.
func (r *Refresher) Watch(every time.Duration, f func(st Status, final bool)) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				f(r.Status(), true)
				return
			case <-t.C:
				f(r.Status(), false)
			}
		}
	}()
	return func() { close(done); <-finished }
}
