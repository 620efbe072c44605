package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testToken = "0123456789abcdef-admin"

// With an admin token, a reload needs it: without it or with another,
// 401 and nothing is reread; with it, the answer shows the values and
// the reasons, and the operator is not rate-limited.
func TestReloadNeedsTheAdminToken(t *testing.T) {
	_, f := newTestServer(t)
	r := &reloads{}
	s, err := New(Options{Refresher: f, Reload: r.reload, ReloadEvery: time.Hour, AdminToken: []byte(testToken)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, auth := range []string{
		"", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + testToken[:len(testToken)-1], "Bearer " + testToken + "x",
		"Basic " + testToken, testToken, "Bearer  " + strings.ToUpper(testToken),
	} {
		h := map[string]string{}
		if auth != "" {
			h["Authorization"] = auth
		}
		resp, body := get(t, "POST", srv.URL+"/-/reload", h)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") ||
			strings.Contains(body, "10.") {
			t.Errorf("Authorization %q: %d %q %s", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	if r.calls != 0 {
		t.Fatalf("%d reloads were made without the token", r.calls)
	}
	for i, auth := range []string{"Bearer " + testToken, "bearer " + testToken, "BEARER " + testToken + " "} {
		resp, body := get(t, "POST", srv.URL+"/-/reload", map[string]string{"Authorization": auth})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"old":"10.20.0.0/16"`) {
			t.Errorf("reload %d with the token (%q): %d %s", i, auth, resp.StatusCode, body)
		}
	}
	r.fail = errRefusal
	resp, body := get(t, "POST", srv.URL+"/-/reload", map[string]string{"Authorization": "Bearer " + testToken})
	var refused struct{ Reasons []string }
	if json.Unmarshal([]byte(body), &refused) != nil || resp.StatusCode != http.StatusBadRequest || len(refused.Reasons) != 2 {
		t.Errorf("refused reload with the token: %d %s", resp.StatusCode, body)
	}
	if r.calls != 4 {
		t.Errorf("%d reloads made with the token, want 4 (none rate-limited)", r.calls)
	}
}

// /debug/node keeps the Python service's contract when no token is set
// (anyone forces a round). With a token, a request without credentials
// gets the registry without forcing a round, one with the token forces
// it, and one with other credentials gets 401.
func TestDebugNodeForcesRoundsOnlyWithTheToken(t *testing.T) {
	for _, tc := range []struct {
		name, token, auth string
		code              int
		forced            string
		rounds            int
	}{
		{"no token, no credentials", "", "", 200, "true", 1},
		{"no token, any credentials", "", "Bearer whatever", 200, "true", 1},
		{"token, no credentials", testToken, "", 200, "false", 0},
		{"token, the token", testToken, "Bearer " + testToken, 200, "true", 1},
		{"token, wrong token", testToken, "Bearer " + testToken + "0", 401, "", 0},
		{"token, other scheme", testToken, "Basic Zm9vOmJhcg==", 401, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, f := newTestServer(t)
			s, err := New(Options{Refresher: f, DebugEndpoints: true, AdminToken: []byte(tc.token)})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/debug/node", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var doc struct {
				Round uint64            `json:"round"`
				Nodes []json.RawMessage `json:"resource_nodes"`
			}
			if rec.Code != tc.code || f.refreshs != tc.rounds || rec.Header().Get("X-Round-Forced") != tc.forced {
				t.Fatalf("%d, %d rounds, X-Round-Forced %q: %s", rec.Code, f.refreshs, rec.Header().Get("X-Round-Forced"), rec.Body)
			}
			if tc.code == 200 && (json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc.Round != 3 || len(doc.Nodes) != 1) {
				t.Errorf("the registry: %s", rec.Body)
			}
		})
	}
}
