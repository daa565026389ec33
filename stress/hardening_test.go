package stress

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// inlineBody is an upload of n samples a minute apart.
func inlineBody(id string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%q,"samples":[`, id)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"time":%q,"cpuMillicores":1,"memoryBytes":1}`, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	b.WriteString("]}")
	return b.String()
}

// TestServerBoundsWorkloads: the server holds at most MaxWorkloads
// workloads of MaxWorkloadBytes in all (40 uploads of 16 MB took it from 93
// to 458 MB): 429 beyond, 413 for one larger than the total; replacing or
// deleting frees room.
func TestServerBoundsWorkloads(t *testing.T) {
	_, ts, _ := newTestServer(t, ServerConfig{MaxWorkloads: 2, MaxWorkloadBytes: 24 * 100})
	for _, id := range []string{"a", "b"} {
		if code, body := doRaw(t, ts, "POST", "/v1/workloads", "", inlineBody(id, 40)); code != 201 {
			t.Fatalf("upload %s: %d %s", id, code, body)
		}
	}
	tests := []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"third workload", "POST", "/v1/workloads", inlineBody("c", 1), 429,
			"the server holds 2 workloads of 1920 bytes, and workload c (24 bytes) would pass its bounds (2 workloads, 2400 bytes): delete workloads first (DELETE /v1/workloads/ID) or raise --max-workloads/--max-workload-bytes: server full"},
		{"too many bytes", "POST", "/v1/workloads", inlineBody("a", 61), 429,
			"the server holds 1 workloads of 960 bytes, and workload a (1464 bytes) would pass its bounds (2 workloads, 2400 bytes): delete workloads first (DELETE /v1/workloads/ID) or raise --max-workloads/--max-workload-bytes: server full"},
		{"larger than all", "POST", "/v1/workloads", inlineBody("d", 101), 413,
			"workload d holds 101 samples (2424 bytes), more than the server holds in all (2400 bytes): cut it shorter or raise the server's --max-workload-bytes: workload larger than the server holds"},
		{"replace fits", "POST", "/v1/workloads", inlineBody("a", 60), 201, ""},
		{"delete", "DELETE", "/v1/workloads/b", "", 204, ""},
		{"then room", "POST", "/v1/workloads", inlineBody("c", 40), 201, ""},
		{"sample without time", "POST", "/v1/workloads", `{"id":"notime","samples":[{"cpuMillicores":1,"memoryBytes":1}]}`, 400,
			`sample 0 has no time: give every sample an RFC 3339 "time"`},
		{"huge offset", "POST", "/v1/pods", `{"pod":"p-0","workload":"a","offsetSeconds":9.3e9}`, 400,
			"offsetSeconds must be a number of seconds from 0 to 3153600000 (a century)"},
		{"huge speedup", "POST", "/v1/pods", `{"pod":"p-0","workload":"a","speedup":1e300}`, 400,
			"speedup must be a positive number up to 1e+06 (or left out for the server's 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := doRaw(t, ts, tt.method, tt.path, "", tt.body)
			if code != tt.code || tt.msg != "" && body != errBody(tt.msg) {
				t.Errorf("got %d %s\nwant %d %s", code, body, tt.code, errBody(tt.msg))
			}
		})
	}
}

// TestServerLongRunDoesNotWrap: a pod at the largest speed-up and offset,
// connected for years, still gets the end of the workload (the offset
// wrapped around a time.Duration and replayed sample 0 for ever).
func TestServerLongRunDoesNotWrap(t *testing.T) {
	s, _, clk := newTestServer(t, ServerConfig{Interval: time.Second})
	s.workloads["step"] = newServerWorkload(stepTrace("step"), "inline")
	for _, loop := range []bool{false, true} {
		p := &serverPod{reg: PodRegistration{Pod: "p", Workload: "step", Speedup: MaxSpeedup, Loop: loop, OffsetSeconds: MaxOffsetSeconds}, connectedAt: clk.Now()}
		for _, after := range []time.Duration{0, time.Hour, 24 * 365 * time.Hour} {
			tg, err := s.targetLocked(p, clk.Now().Add(after))
			if err != nil {
				t.Fatal(err)
			}
			if !loop && (tg.Index != 3 || !tg.Done) {
				t.Errorf("no loop, after %s: index %d done %v, want the last sample, done", after, tg.Index, tg.Done)
			}
			if loop && (tg.Index < 0 || tg.Index > 3 || tg.Done) {
				t.Errorf("loop, after %s: index %d done %v", after, tg.Index, tg.Done)
			}
		}
	}
}
