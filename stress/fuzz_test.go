package stress

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServerRequests posts arbitrary bodies to every endpoint that reads
// one: the server must answer 2xx or 4xx (never 5xx, never panic) and keep
// answering afterwards.
func FuzzServerRequests(f *testing.F) {
	f.Add("/v1/workloads", `{"id":"w","samples":[{"time":"2026-01-05T00:00:00Z","cpuMillicores":5,"memoryBytes":1}]}`)
	f.Add("/v1/workloads", `{"id":"w","intervalSeconds":-1,"samples":[{"time":"2026-01-05T00:00:00Z","cpuMillicores":1e309,"memoryBytes":1}]}`)
	f.Add("/v1/pods", `{"pod":"p","workload":"w","speedup":1e308,"offsetSeconds":1e300}`)
	f.Add("/v1/pods", `{"pod":"p","workload":"w","loop":true}`)
	f.Add("/v1/pods/p/report", `{"cpuMillicores":1,"memoryBytes":2}`)
	f.Add("/v1/workloads", `[`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		s, err := NewServer(ServerConfig{MaxBodyBytes: 1 << 16, Interval: time.Second,
			Now: func() time.Time { return time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/v1/workloads", "/v1/pods", path} {
			req := httptest.NewRequest(http.MethodPost, "http://stress"+"/", strings.NewReader(body))
			req.URL.Path = p
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", p, body, rec.Code, rec.Body)
			}
		}
		// targets of whatever got registered stay computable
		for _, p := range s.pods {
			s.mu.Lock()
			p.connectedAt = s.cfg.Now().Add(-time.Hour)
			_, _ = s.targetLocked(p, s.cfg.Now())
			s.mu.Unlock()
		}
		req := httptest.NewRequest(http.MethodGet, "http://stress/healthz", nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("healthz %d after %q", rec.Code, body)
		}
	})
}
