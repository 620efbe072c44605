package probe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// fetched is one node answer, its body copied out of fasthttp's buffers.
type fetched struct {
	status int
	body   []byte
}

// fetch GETs rawURL from a node through the pool and reads its body, up
// to max bytes after decompression, following redirects by hand: each
// hop is judged by checkRedirect before it is dialed, and the guard
// judges the address it is dialed at. ctx's deadline bounds everything,
// redirects included.
func (c *Client) fetch(ctx context.Context, rawURL string, max int64) (fetched, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fetched{}, err
	}
	via := []*url.URL{}
	for {
		if u.Scheme != "http" && u.Scheme != "https" {
			return fetched{}, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
		}
		f, loc, err := c.fetchOne(ctx, u, max)
		if err != nil || loc == "" {
			return f, err
		}
		next, err := u.Parse(loc)
		if err != nil {
			return fetched{}, fmt.Errorf("failed to parse Location header %q: %w", loc, err)
		}
		via = append(via, u)
		if err := c.checkRedirect(ctx, next, via); err != nil {
			return fetched{}, err
		}
		u = next
	}
}

// isRedirect are the statuses whose Location net/http's client follows
// for a GET.
func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// fetchOne makes one request on a connection of the node's, pooled or
// new; when a pooled one turns out closed by the node before it answered
// (it timed the connection out first), it asks once more on a new one.
// loc is the Location of a redirect to follow.
func (c *Client) fetchOne(ctx context.Context, u *url.URL, max int64) (f fetched, loc string, err error) {
	k := hostKey{tls: u.Scheme == "https", addr: hostPort(u)}
	p := c.pool
	h := p.host(k)
	defer p.leave(k, h)
	if err := h.acquire(ctx); err != nil {
		return fetched{}, "", err
	}
	defer h.release()

	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.URI().DisablePathNormalizing = true
	req.SetRequestURI(u.String())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept-Encoding", "gzip")
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)

	for attempt := 0; ; attempt++ {
		conn := p.take(h)
		reused := conn != nil
		if conn == nil {
			if conn, err = p.connect(ctx, k, u.Hostname()); err != nil {
				return fetched{}, "", err
			}
		}
		c.metrics.conn(reused)
		err = c.roundTrip(ctx, h, conn, req, resp, max)
		if err == nil {
			break
		}
		_ = conn.Close()
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			// The headers were read: the status is known, as it was
			// when net/http read the body up to its bound.
			return fetched{status: resp.StatusCode()}, "", Errorf(ClassTooLarge, "body larger than %d bytes", max)
		}
		if ctx.Err() != nil {
			return fetched{}, "", ctx.Err()
		}
		if !reused || attempt > 0 || !closedBeforeAnswer(err) {
			return fetched{}, "", err
		}
	}
	f.status = resp.StatusCode()
	if isRedirect(f.status) {
		if l := resp.Header.Peek("Location"); len(l) > 0 {
			return f, string(l), nil
		}
	}
	f.body, err = decodeBody(resp, max)
	return f, "", err
}

// roundTrip writes req on conn and reads the answer into resp, the body
// bounded to max bytes as sent; then conn goes back to the pool, unless
// the node asked to close it or sent more than its answer.
func (c *Client) roundTrip(ctx context.Context, h *hostPool, conn net.Conn, req *fasthttp.Request, resp *fasthttp.Response, max int64) error {
	p := c.pool
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	// A cancelled round ends the request at once, not at its deadline;
	// the AfterFunc runs no goroutine unless ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	bw := p.writer(conn)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	p.putWriter(bw)
	if err != nil {
		if isTimeout(err) {
			if e := ctx.Err(); e != nil {
				return e
			}
			return context.DeadlineExceeded
		}
		return err
	}
	br := p.reader(conn)
	err = resp.ReadLimitBody(br, int(max))
	extra := br.Buffered() > 0
	if errors.As(err, new(*fasthttp.ErrSmallBuffer)) && br.Size() < p.headerMax {
		// The headers outgrew the small buffer, which fasthttp only
		// peeked at: read them again through one as large as the bound,
		// which takes the small one's bytes first.
		big := bufio.NewReaderSize(br, p.headerMax)
		resp.Reset()
		err = resp.ReadLimitBody(big, int(max))
		extra = big.Buffered() > 0 || br.Buffered() > 0
	}
	p.putReader(br)
	switch {
	case isTimeout(err):
		// The deadline set is ctx's (or the cancellation's): report it
		// as such, whichever of the two timers fired first.
		if e := ctx.Err(); e != nil {
			return e
		}
		return context.DeadlineExceeded
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return Errorf(ClassTooLarge, "response headers too large")
	case err != nil:
		return err
	}
	if !stop() {
		return ctx.Err()
	}
	if resp.ConnectionClose() || extra {
		_ = conn.Close()
		return nil
	}
	_ = conn.SetDeadline(time.Time{})
	p.put(h, conn)
	return nil
}

// isTimeout reports whether err is the connection's deadline passing,
// in the words of the net package or fasthttp's.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, fasthttp.ErrTimeout) ||
		errors.As(err, &ne) && ne.Timeout()
}

// closedBeforeAnswer reports whether err is a pooled connection found
// closed by the node before any byte of an answer: the request can be
// sent again on a new one.
func closedBeforeAnswer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, fasthttp.ErrConnectionClosed)
}

// decodeBody copies resp's body out of fasthttp's buffer, decompressing a
// gzip one up to max+1 bytes: fasthttp's own gunzip has no bound, and a
// few kilobytes can unpack to gigabytes.
func decodeBody(resp *fasthttp.Response, max int64) ([]byte, error) {
	raw := resp.Body()
	if !bytes.EqualFold(resp.Header.ContentEncoding(), []byte("gzip")) {
		return bytes.Clone(raw), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, max+1))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	return body, nil
}
