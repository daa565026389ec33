package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/smartvpa/smartvpa/core/model"
)

// fakeProm answers range queries with one series per (pod, container) of
// series, restricted to the query's namespace and pod regexp, and records
// every query.
type fakeProm struct {
	mu      sync.Mutex
	queries []string
	// series: namespace -> pod/container -> (cpu cores, memory bytes) per step
	series map[string]map[string][2]float64
}

var (
	nsRE  = regexp.MustCompile(`namespace="([^"]*)"`)
	podRE = regexp.MustCompile(`pod=~"([^"]*)"`)
)

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form.Get("query")
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.Path+" "+q)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/query") { // throttling: no CFS series
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		return
	}
	ns := nsRE.FindStringSubmatch(q)[1]
	pods := regexp.MustCompile("^(?:" + strings.ReplaceAll(podRE.FindStringSubmatch(q)[1], `\\`, `\`) + ")$")
	var start, end, step float64
	_, _ = fmt.Sscanf(r.Form.Get("start"), "%g", &start) // a bad value fails the test's range check
	_, _ = fmt.Sscanf(r.Form.Get("end"), "%g", &end)
	_, _ = fmt.Sscanf(r.Form.Get("step"), "%g", &step)
	type series struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values"`
	}
	var out []series
	for key, v := range f.series[ns] {
		pc := strings.SplitN(key, "/", 2)
		if !pods.MatchString(pc[0]) {
			continue
		}
		s := series{Metric: map[string]string{"pod": pc[0], "container": pc[1]}}
		val := v[1]
		if strings.Contains(q, "cpu_usage") {
			val = v[0]
		}
		for t := start; t <= end; t += step {
			s.Values = append(s.Values, [2]any{t, fmt.Sprint(val)})
		}
		out = append(out, s)
	}
	b, _ := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": out}})
	_, _ = w.Write(b) // the client under test reports a short body
}

func TestPrometheusHistory(t *testing.T) {
	t.Run("pod patterns in the query", func(t *testing.T) { testPrometheusHistory(t, `pod=~"`) })
	// Many workloads: the query takes the namespace's pods, the matcher
	// keeps the same ones.
	defer func(n int) { maxPodPatterns = n }(maxPodPatterns)
	maxPodPatterns = 1
	t.Run("namespace in the query", func(t *testing.T) { testPrometheusHistory(t, `pod=~".+"`) })
}

func testPrometheusHistory(t *testing.T, wantPods string) {
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0], deps[1]}, snap, false, labels.Everything())
	fp := &fakeProm{series: map[string]map[string][2]float64{
		"demo": {
			"web-7d9c5-abcde/web":     {0.4, 400 * model.MiB},
			"web-6b8f4c-zzzzz/web":    {0.6, 500 * model.MiB}, // a pod of an older ReplicaSet
			"api-5f6b8-klmno/api":     {0.3, 300 * model.MiB},
			"web-api-5f6b8-xxxxx/web": {9, 9 * model.GiB}, // another workload's pod
			"web-7d9c5-abcde/istio":   {1, model.GiB},     // a container not in the template
		},
	}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	p := &Prometheus{URL: srv.URL, Duration: 2 * time.Hour, Step: 5 * time.Minute}
	h, err := p.History(context.Background(), ws, t0)
	if err != nil {
		t.Fatal(err)
	}
	// One CPU and one memory range query for the namespace, plus the
	// throttling instant query: never one query per pod.
	var ranges int
	for _, q := range fp.queries {
		if strings.Contains(q, "query_range") {
			ranges++
			if !strings.Contains(q, "by (pod, container)") {
				t.Errorf("query not grouped by (pod, container): %s", q)
			}
			if !strings.Contains(q, wantPods) || (wantPods != `pod=~".+"` && strings.Contains(q, `pod=~".+"`)) {
				t.Errorf("query does not select pods by %s: %s", wantPods, q)
			}
		}
	}
	if ranges != 2 || len(fp.queries) != 3 {
		t.Fatalf("queries = %d (range %d), want 2 range + 1 instant:\n%s", len(fp.queries), ranges, strings.Join(fp.queries, "\n"))
	}
	web := ContainerKey{Workload: "demo/Deployment/web", Container: "web"}
	api := ContainerKey{Workload: "demo/Deployment/api", Container: "api"}
	points := int(2*time.Hour/(5*time.Minute)) + 1
	if got := len(h.Samples[web]); got != 2*points {
		t.Errorf("web samples = %d, want %d (two pods)", got, 2*points)
	}
	if got := len(h.Samples[api]); got != points {
		t.Errorf("api samples = %d, want %d", got, points)
	}
	for _, s := range h.Samples[web] {
		if s.CPUMillicores != 400 && s.CPUMillicores != 600 {
			t.Fatalf("web sample from a foreign pod: %+v", s)
		}
	}
	for i := 1; i < len(h.Samples[web]); i++ {
		if h.Samples[web][i].Time.Before(h.Samples[web][i-1].Time) {
			t.Fatal("samples not in time order")
		}
	}
	if got := h.Span(web); got != 2*time.Hour {
		t.Errorf("span = %s", got)
	}
}

func TestPrometheusStepRaised(t *testing.T) {
	p := &Prometheus{Duration: 8 * 24 * time.Hour, Step: 30 * time.Second}
	if got := p.EffectiveStep(); int64(8*24*time.Hour/got) >= maxPoints {
		t.Fatalf("step %s gives too many points", got)
	}
	p.Step = 5 * time.Minute
	if got := p.EffectiveStep(); got != 5*time.Minute {
		t.Fatalf("step = %s, want 5m", got)
	}
}

func TestPrometheusError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
	}))
	defer srv.Close()
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0]}, snap, false, labels.Everything())
	_, err := (&Prometheus{URL: srv.URL}).History(context.Background(), ws, t0)
	if err == nil || !strings.Contains(err.Error(), "cpu query for namespace demo") {
		t.Fatalf("err = %v", err)
	}
}

func TestImportPrometheus(t *testing.T) {
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0]}, snap, false, labels.Everything())
	fp := &fakeProm{series: map[string]map[string][2]float64{"demo": {
		"web-7d9c5-abcde/web": {0.2, 100 * model.MiB},
		"web-7d9c5-fghij/web": {0.4, 300 * model.MiB},
	}}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	trs, err := ImportPrometheus(context.Background(), &Prometheus{URL: srv.URL, Duration: time.Hour, Step: 5 * time.Minute}, ws, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) != 1 || trs[0].ID != "demo-web-web" || trs[0].Len() != 13 {
		t.Fatalf("traces = %+v", trs)
	}
	// One replica's usage: the mean over the two pods.
	if s := trs[0].Sample(0); s.CPUMillicores != 300 || s.MemoryBytes != 200*model.MiB {
		t.Fatalf("sample = %+v", s)
	}
	if trs[0].Meta.OriginalRequest == nil || trs[0].Meta.OriginalRequest.CPUMillicores != 1000 {
		t.Fatalf("original request = %+v", trs[0].Meta.OriginalRequest)
	}
}

// bodyRT answers every Prometheus request with a fixed body: range queries
// (CPU, memory) with rangeBody, instant queries (throttling) with
// instantBody.
type bodyRT struct{ rangeBody, instantBody []byte }

func (rt bodyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	b := rt.rangeBody
	if strings.HasSuffix(r.URL.Path, "/query") {
		b = rt.instantBody
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": []string{"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// FuzzPrometheusResponse: any answer of Prometheus gives an error or a
// history whose samples are finite, non-negative and below the cap, in time
// order per container (replicas share times), and whose throttled fractions
// are in [0, 1].
func FuzzPrometheusResponse(f *testing.F) {
	matrix := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pod":"web-7d9c5-abcde","container":"web"},"values":[[1793491200,"0.4"],[1793491500,"0.5"]]}]}}`
	vector := `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"web-7d9c5-abcde","container":"web"},"value":[1793491500,"0.25"]}]}}`
	for _, seed := range [][2]string{
		{matrix, vector},
		{`{"status":"success","data":{"resultType":"matrix","result":[]}}`, `{"status":"success","data":{"resultType":"vector","result":[]}}`},
		{`{"status":"error","errorType":"bad_data","error":"parse error"}`, vector},
		{strings.ReplaceAll(matrix, `"0.4"`, `"NaN"`), strings.ReplaceAll(vector, `"0.25"`, `"+Inf"`)},
		{strings.ReplaceAll(matrix, `"0.5"`, `"-3"`), strings.ReplaceAll(vector, `"0.25"`, `"7"`)},
		{strings.ReplaceAll(matrix, `1793491500`, `1793491100`), vector},
		{strings.ReplaceAll(matrix, `"0.4"`, `"1e308"`), vector},
		{vector, matrix},
		{`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x","0.4"]]}]}}`, `null`},
		{``, `{`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0], deps[1]}, snap, false, labels.Everything())
	now := time.Unix(1793491500, 0)
	f.Fuzz(func(t *testing.T, rangeBody, instantBody []byte) {
		p := &Prometheus{URL: "http://prometheus.invalid", Duration: time.Hour, Step: 5 * time.Minute, RoundTripper: bodyRT{rangeBody, instantBody}}
		h, err := p.History(context.Background(), ws, now)
		if err != nil {
			return
		}
		for k, smps := range h.Samples {
			for i, s := range smps {
				for _, v := range []float64{s.CPUMillicores, s.MemoryBytes} {
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > model.NoBound {
						t.Fatalf("%v sample %d: %+v is not a usage", k, i, s)
					}
				}
				if i > 0 && s.Time.Before(smps[i-1].Time) {
					t.Fatalf("%v samples %d and %d out of order: %v, %v", k, i-1, i, smps[i-1].Time, s.Time)
				}
			}
		}
		for k, v := range h.Throttled {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("%v throttled %v", k, v)
			}
		}
	})
}
