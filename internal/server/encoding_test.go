package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"nodelist/internal/snapshot"
)

func TestNegotiate(t *testing.T) {
	// Ties go to the usually smaller coding: zstd, gzip, br, identity.
	body := &snapshot.Build(time.Now(), nil).All
	tests := []struct {
		header string
		want   snapshot.Encoding
	}{
		{"", snapshot.Identity},
		{"gzip", snapshot.Gzip},
		{"GZip", snapshot.Gzip},
		{"x-gzip", snapshot.Gzip},
		{"gzip, deflate, br", snapshot.Gzip},
		{"br, deflate", snapshot.Brotli},
		{"gzip, deflate, br, zstd", snapshot.Zstd},
		{"br;q=0.5, gzip;q=0.9", snapshot.Gzip},
		{"br;q=1.0, gzip;q=0.9, zstd;q=0.1", snapshot.Brotli},
		{"gzip;q=0", snapshot.Identity},
		{"deflate", snapshot.Identity},
		{"*", snapshot.Zstd},
		{"*;q=0.5, gzip", snapshot.Gzip},
		{"*;q=0", snapshot.Identity}, // nothing acceptable: identity anyway
		{"identity;q=0, gzip;q=0.1", snapshot.Gzip},
		{"identity, gzip;q=0.5", snapshot.Identity},
		{"gzip;q=abc, br", snapshot.Brotli}, // malformed q drops its entry
		{"gzip;q=2", snapshot.Identity},
		{" gzip ; q=0.8 , identity;q=0.7", snapshot.Gzip},
	}
	for _, tt := range tests {
		if got := negotiate(tt.header, body); got != tt.want {
			t.Errorf("negotiate(%q) = %s, want %s", tt.header, got.Token(), tt.want.Token())
		}
	}
	// Negotiation builds nothing.
	for _, e := range snapshot.Encodings[1:] {
		if body.Built(e) {
			t.Errorf("negotiation built %s", e.Token())
		}
	}
	// A body without encodings is sent as identity.
	plain := &snapshot.Body{Identity: []byte("x"), ETag: `"x"`}
	if got := negotiate("br, gzip", plain); got != snapshot.Identity {
		t.Errorf("negotiate without encodings = %s", got.Token())
	}
}

func newEncodedServer(t *testing.T) (*httptest.Server, *snapshot.Snapshot) {
	t.Helper()
	srv, f := newTestServer(t)
	old := f.holder.Load()
	s := snapshot.Build(old.LastRefresh, crnsOf(t, old))
	f.holder.Store(s)
	return srv, s
}

// crnsOf rebuilds a snapshot's CRN list from its body, for a test that
// needs the same CRNs compressed.
func crnsOf(t *testing.T, s *snapshot.Snapshot) []snapshot.CRN {
	t.Helper()
	var out []snapshot.CRN
	for i, h := range []string{"ina", "act"} {
		out = append(out, snapshot.CRN{Hash: h, Score: float64(2 - i), Inactive: h == "ina", JSON: s.CRN(h)})
	}
	return out
}

// rawGet sends a request without the transport's own gzip handling.
func rawGet(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func decode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "":
		return b
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", enc, err)
	}
	return out
}

// TestEncodedVariants fetches every variant in every encoding: the body
// decodes to the identity bytes, each has its own ETag, and each ETag
// and Last-Modified gets a 304 for that encoding only.
func TestEncodedVariants(t *testing.T) {
	srv, snap := newEncodedServer(t)
	seen := map[string]bool{}
	for _, v := range []struct {
		query string
		body  *snapshot.Body
	}{{"", &snap.All}, {"?filter_inactive=true", &snap.Active}} {
		for _, e := range snapshot.Encodings {
			url := srv.URL + "/crns.json" + v.query
			hdr := map[string]string{"Accept-Encoding": e.Token()}
			resp, b := rawGet(t, "GET", url, hdr)
			wantBytes, wantTag := v.body.Variant(e)
			ce := resp.Header.Get("Content-Encoding")
			if resp.StatusCode != 200 || (e != snapshot.Identity && ce != e.Token()) || (e == snapshot.Identity && ce != "") {
				t.Fatalf("%s %s: status %d, Content-Encoding %q", url, e.Token(), resp.StatusCode, ce)
			}
			if !bytes.Equal(b, wantBytes) || !bytes.Equal(decode(t, ce, b), v.body.Identity) {
				t.Errorf("%s %s: body is not the snapshot's", url, e.Token())
			}
			etag := resp.Header.Get("ETag")
			if etag != wantTag || seen[etag] || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
				t.Errorf("%s %s: ETag %q (want %q, distinct from the others)", url, e.Token(), etag, wantTag)
			}
			seen[etag] = true
			if resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Content-Length") == "" ||
				!strings.Contains(resp.Header.Get("Cache-Control"), "public") {
				t.Errorf("%s %s: headers %v", url, e.Token(), resp.Header)
			}

			hdr["If-None-Match"] = etag
			resp, b = rawGet(t, "GET", url, hdr)
			if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag ||
				resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s %s If-None-Match: %d %v", url, e.Token(), resp.StatusCode, resp.Header)
			}
			other := snapshot.Gzip
			if e == snapshot.Gzip {
				other = snapshot.Zstd
			}
			resp, _ = rawGet(t, "GET", url, map[string]string{"Accept-Encoding": other.Token(), "If-None-Match": etag})
			if resp.StatusCode != 200 {
				t.Errorf("%s: the %s ETag answered a %s request with %d", url, e.Token(), other.Token(), resp.StatusCode)
			}
			delete(hdr, "If-None-Match")
			hdr["If-Modified-Since"] = snap.Built.Add(time.Second).UTC().Format(http.TimeFormat)
			if resp, _ = rawGet(t, "GET", url, hdr); resp.StatusCode != http.StatusNotModified {
				t.Errorf("%s %s If-Modified-Since: %d", url, e.Token(), resp.StatusCode)
			}

			resp, b = rawGet(t, "HEAD", url, map[string]string{"Accept-Encoding": e.Token()})
			if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("ETag") != etag ||
				resp.Header.Get("Content-Length") != strconv.Itoa(len(wantBytes)) {
				t.Errorf("%s %s HEAD: %d %v", url, e.Token(), resp.StatusCode, resp.Header)
			}
		}
	}
}

// TestCompressReusesUnchanged checks that a snapshot with the same bodies
// as the previous one takes its compressed bytes (and ETags) as they are.
func TestCompressReusesUnchanged(t *testing.T) {
	_, snap := newEncodedServer(t)
	next := snapshot.Build(snap.LastRefresh, crnsOf(t, snap)).Reuse(snap)
	for _, e := range snapshot.Encodings[1:] {
		a, at := snap.All.Variant(e)
		b, bt := next.All.Variant(e)
		if &a[0] != &b[0] || at != bt {
			t.Errorf("%s: compressed again although the body is unchanged", e.Token())
		}
	}
	changed := snapshot.Build(snap.LastRefresh.Add(time.Second), crnsOf(t, snap)).Reuse(snap)
	if _, tag := changed.All.Variant(snapshot.Gzip); tag == gzipTag(snap) {
		t.Error("a changed body kept the old gzip ETag")
	}
}

func gzipTag(s *snapshot.Snapshot) string {
	_, tag := s.All.Variant(snapshot.Gzip)
	return tag
}
