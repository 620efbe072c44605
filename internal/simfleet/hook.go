package simfleet

// RequestHook is told of every request the fleet receives: node is the
// index of the node asked, or -1 for the API host; path is the request's
// path. It runs on the request's goroutine and must not block.
type RequestHook func(node int, path string)

// SetRequestHook makes h hear of every request from now on (nil: none).
// Tests use it to see which node was probed when, and how often.
func (f *Fleet) SetRequestHook(h RequestHook) {
	if h == nil {
		f.requestHook.Store(nil)
		return
	}
	f.requestHook.Store(&h)
}

func (f *Fleet) heard(node int, path string) {
	if h := f.requestHook.Load(); h != nil {
		(*h)(node, path)
	}
}
