package stress

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// stepTrace is 4 samples one minute apart: 100m/64Mi, 500m/128Mi, 300m/256Mi, 200m/64Mi.
func stepTrace(id string) *workloads.Trace {
	t := &workloads.Trace{ID: id}
	t.Meta.Interval = time.Minute
	for i, v := range [][2]float64{{100, 64 << 20}, {500, 128 << 20}, {300, 256 << 20}, {200, 64 << 20}} {
		t.Append(t0.Add(time.Duration(i)*time.Minute), v[0], v[1])
	}
	return t
}

func newTestServer(t *testing.T, cfg ServerConfig) (*Server, *httptest.Server, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)}
	cfg.Now = clk.Now
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts, clk
}

func doRaw(t *testing.T, ts *httptest.Server, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // read or abandoned: closing a response body reports nothing to act on
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func errBody(msg string) string {
	b, _ := json.Marshal(APIError{Error: msg})
	return string(b) + "\n"
}

func TestServerValidation(t *testing.T) {
	_, ts, _ := newTestServer(t, ServerConfig{MaxBodyBytes: 2048, MaxCPUMillicores: 4000, MaxMemoryBytes: 8 << 30, Interval: time.Second})
	c := &Client{BaseURL: ts.URL}
	if _, err := c.UploadTrace(context.Background(), stepTrace("step")); err != nil {
		t.Fatal(err)
	}
	big := `{"id":"big","samples":[` + strings.Repeat(`{"time":"2026-01-05T00:00:00Z","cpuMillicores":1,"memoryBytes":1},`, 40) + `]}`
	tests := []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"oversized body", "POST", "/v1/workloads", big, 413,
			"request body larger than 2048 bytes: send a smaller workload or raise the server's --max-body-bytes"},
		{"negative cpu", "POST", "/v1/workloads", `{"id":"neg","samples":[{"time":"2026-01-05T00:00:00Z","cpuMillicores":-5,"memoryBytes":1}]}`, 400,
			"workload neg sample 0: cpuMillicores is negative (-5): usage must be at least 0"},
		{"memory above max", "POST", "/v1/workloads", `{"id":"huge","samples":[{"time":"2026-01-05T00:00:00Z","cpuMillicores":5,"memoryBytes":1e12}]}`, 400,
			"workload huge sample 0: memoryBytes 1e+12 is above the server's maximum 8.589934592e+09: scale the workload down or raise the server's maximum"},
		{"times out of order", "POST", "/v1/workloads", `{"id":"order","samples":[{"time":"2026-01-05T00:01:00Z","cpuMillicores":5,"memoryBytes":1},{"time":"2026-01-05T00:00:00Z","cpuMillicores":5,"memoryBytes":1}]}`, 400,
			"workload order: sample 1: time 2026-01-05T00:00:00Z is not after 2026-01-05T00:01:00Z"},
		{"bad id", "POST", "/v1/workloads", `{"id":"../etc","samples":[{"time":"2026-01-05T00:00:00Z","cpuMillicores":5,"memoryBytes":1}]}`, 400,
			`invalid workload id "../etc": use letters, digits, '.', '_' and '-', starting with a letter or digit`},
		{"unknown field", "POST", "/v1/workloads", `{"id":"x","cpu":1}`, 400, `invalid JSON body: json: unknown field "cpu"`},
		{"empty body", "POST", "/v1/pods", ``, 400, "empty request body: send a JSON object (see docs/stress-api.md)"},
		{"no store", "POST", "/v1/workloads", `{"id":"x"}`, 400, "this server has no workload store: upload the samples inline"},
		{"unknown workload on register", "POST", "/v1/pods", `{"pod":"p-0","workload":"nope"}`, 404,
			`workload "nope" not found: upload it first with POST /v1/workloads`},
		{"bad pod name", "POST", "/v1/pods", `{"pod":"P_0","workload":"step"}`, 400,
			`invalid pod name "P_0": use a Kubernetes name (lower-case letters, digits, '-' and '.')`},
		{"negative speedup", "POST", "/v1/pods", `{"pod":"p-0","workload":"step","speedup":-1}`, 400,
			"speedup must be a positive number up to 1e+06 (or left out for the server's 1)"},
		{"unknown workload", "GET", "/v1/workloads/nope", ``, 404, `workload "nope" not found: upload it first with POST /v1/workloads`},
		{"unknown pod connect", "GET", "/v1/pods/ghost/connect", ``, 404, `pod "ghost" is not registered: register it first with POST /v1/pods`},
		{"unknown pod target", "GET", "/v1/pods/ghost/target", ``, 404, `pod "ghost" is not registered: register it first with POST /v1/pods`},
		{"unknown pod report", "POST", "/v1/pods/ghost/report", `{"cpuMillicores":1,"memoryBytes":1}`, 404, `pod "ghost" is not registered: register it first with POST /v1/pods`},
		{"negative report", "POST", "/v1/pods/ghost/report", `{"cpuMillicores":1,"memoryBytes":-1}`, 400, "report: memoryBytes is negative (-1): usage must be at least 0"},
		{"unknown endpoint", "PUT", "/v1/everything", ``, 404, "no endpoint PUT /v1/everything: see docs/stress-api.md for the API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := doRaw(t, ts, tt.method, tt.path, "", tt.body)
			if code != tt.code || body != errBody(tt.msg) {
				t.Errorf("got %d %s\nwant %d %s", code, body, tt.code, errBody(tt.msg))
			}
			// the server keeps serving after every bad request
			if code, body := doRaw(t, ts, "GET", "/v1/workloads/step", "", ""); code != 200 || !strings.Contains(body, `"id":"step"`) {
				t.Fatalf("server stopped serving after %s: %d %s", tt.name, code, body)
			}
		})
	}
}

func TestServerToken(t *testing.T) {
	_, ts, _ := newTestServer(t, ServerConfig{Token: "s3cret"})
	tests := []struct {
		name, token string
		code        int
	}{{"none", "", 401}, {"wrong", "guess", 401}, {"right", "s3cret", 200}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := doRaw(t, ts, "GET", "/v1/pods", tt.token, "")
			if code != tt.code {
				t.Fatalf("got %d %s, want %d", code, body, tt.code)
			}
			if code == 401 && body != errBody("missing or wrong bearer token: send 'Authorization: Bearer <token>' with the server's --token") {
				t.Fatalf("401 body %s", body)
			}
		})
	}
	if code, _ := doRaw(t, ts, "GET", "/healthz", "", ""); code != 200 {
		t.Fatalf("healthz needs no token, got %d", code)
	}
}

func TestServerUploadFromStore(t *testing.T) {
	dir := t.TempDir()
	st := workloads.OpenStore(dir)
	if _, err := st.Save(stepTrace("stored")); err != nil {
		t.Fatal(err)
	}
	_, ts, _ := newTestServer(t, ServerConfig{Store: st})
	c := &Client{BaseURL: ts.URL}
	info, err := c.UploadStored(context.Background(), "stored")
	if err != nil {
		t.Fatal(err)
	}
	want := WorkloadInfo{ID: "stored", Source: "store", Samples: 4, IntervalSeconds: 60, Start: t0, End: t0.Add(3 * time.Minute), MaxCPUMillicores: 500, MaxMemoryBytes: 256 << 20}
	if info != want {
		t.Fatalf("got %+v\nwant %+v", info, want)
	}
	_, err = c.UploadStored(context.Background(), "missing")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || !strings.HasPrefix(se.Message, `workload "missing" not found in `) {
		t.Fatalf("missing stored workload: %v", err)
	}
}

// TestServerLifecycle walks the four steps with a fake clock: upload,
// register, connect (initial usage) and the periodic targets at a speed-up.
func TestServerLifecycle(t *testing.T) {
	_, ts, clk := newTestServer(t, ServerConfig{Interval: 20 * time.Millisecond})
	ctx := context.Background()
	c := &Client{BaseURL: ts.URL}
	if _, err := c.UploadTrace(ctx, stepTrace("step")); err != nil {
		t.Fatal(err)
	}
	info, err := c.Register(ctx, PodRegistration{Pod: "stress-0", Service: "stress", Workload: "step", Speedup: 60})
	if err != nil {
		t.Fatal(err)
	}
	if info.Connected || info.Speedup != 60 {
		t.Fatalf("registered: %+v", info)
	}
	var se *StatusError
	if _, err := c.Target(ctx, "stress-0"); !errors.As(err, &se) || se.Code != 409 {
		t.Fatalf("target before connect: %v", err)
	}

	// open the stream by hand to step the clock between lines
	req, _ := http.NewRequest("GET", ts.URL+"/v1/pods/stress-0/connect", nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // read or abandoned: closing a response body reports nothing to act on
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	next := func() Target {
		t.Helper()
		line, err := rd.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var tg Target
		if err := json.Unmarshal(line, &tg); err != nil {
			t.Fatal(err)
		}
		return tg
	}
	first := next()
	if first.Index != 0 || first.CPUMillicores != 100 || first.MemoryBytes != 64<<20 || first.Done || first.IntervalSeconds != 0.02 {
		t.Fatalf("initial target %+v", first)
	}
	// at speed-up 60 one wall second is one workload minute
	steps := []struct {
		advance time.Duration
		index   int
		cpu     float64
		done    bool
	}{
		{1500 * time.Millisecond, 1, 500, false},
		{time.Second, 2, 300, false},
		{time.Second, 3, 200, false},
		// the last sample holds for one workload interval, then the stream ends
		{time.Second, 3, 200, true},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		// lines already in flight carry the old clock; read until the index moves
		var tg Target
		for range 200 {
			if tg = next(); tg.Index == st.index && tg.Done == st.done {
				break
			}
		}
		if tg.Index != st.index || tg.CPUMillicores != st.cpu || tg.Done != st.done {
			t.Fatalf("after +%s: %+v", st.advance, tg)
		}
		if !tg.WorkloadTime.Equal(t0.Add(time.Duration(st.index) * time.Minute)) {
			t.Fatalf("workload time %s", tg.WorkloadTime)
		}
	}
	if _, err := rd.ReadBytes('\n'); err != io.EOF {
		t.Fatalf("stream did not end after the done target: %v", err)
	}

	rep := Report{CPUMillicores: 190, MemoryBytes: 70 << 20, TargetCPUMillicores: 200, TargetMemoryBytes: 64 << 20}
	if err := c.Report(ctx, "stress-0", rep); err != nil {
		t.Fatal(err)
	}
	got, err := c.Pod(ctx, "stress-0")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastReport == nil || got.LastReport.CPUMillicores != 190 || got.LastReport.Time.IsZero() || got.LastTarget == nil || got.LastTarget.Index != 3 {
		t.Fatalf("pod after report: %+v", got)
	}
}

func TestServerLoopAndOffset(t *testing.T) {
	s, _, clk := newTestServer(t, ServerConfig{Interval: time.Second})
	sw := newServerWorkload(stepTrace("step"), "inline")
	s.workloads["step"] = sw
	p := &serverPod{reg: PodRegistration{Pod: "p", Workload: "step", Speedup: 60, Loop: true, OffsetSeconds: 120}, connectedAt: clk.Now()}
	tests := []struct {
		after time.Duration
		index int
	}{{0, 2}, {time.Second, 3}, {2 * time.Second, 0}, {5 * time.Second, 3}, {6 * time.Second, 0}}
	for _, tt := range tests {
		tg, err := s.targetLocked(p, clk.Now().Add(tt.after))
		if err != nil {
			t.Fatal(err)
		}
		if tg.Index != tt.index || tg.Done {
			t.Errorf("after %s: index %d done %v, want %d", tt.after, tg.Index, tg.Done, tt.index)
		}
	}
}

func TestServerConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"interval", ServerConfig{Interval: -1}, "interval must be positive, e.g. 5s"},
		{"speedup", ServerConfig{Speedup: -2}, "speedup must be a positive number up to 1e+06, e.g. 60"},
		{"cpu", ServerConfig{MaxCPUMillicores: -1}, "maximum cpu and memory must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewServer(tt.cfg); err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}
