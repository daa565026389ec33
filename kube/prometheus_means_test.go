package kube

import (
	"context"
	"encoding/json"
	"fmt"
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

// fakeMeansProm answers the means queries: per label_replace term, the
// average over the pods its pod regexp selects, per container.
type fakeMeansProm struct {
	mu      sync.Mutex
	queries []string
	series  map[string]map[string][2]float64 // namespace -> pod/container -> (cores, bytes)
}

var termRE = regexp.MustCompile(`namespace="([^"]*)",pod=~"([^"]*)".*?"smartvpa_workload", "(\d+)"`)

func (f *fakeMeansProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form.Get("query")
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	var start, end, step float64
	_, _ = fmt.Sscanf(r.Form.Get("start"), "%g", &start)
	_, _ = fmt.Sscanf(r.Form.Get("end"), "%g", &end)
	_, _ = fmt.Sscanf(r.Form.Get("step"), "%g", &step)
	type series struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values"`
	}
	var out []series
	for _, term := range strings.Split(q, " or ") {
		m := termRE.FindStringSubmatch(term)
		pods := regexp.MustCompile("^(?:" + strings.ReplaceAll(m[2], `\\`, `\`) + ")$")
		sum, n := map[string]float64{}, map[string]int{}
		for key, v := range f.series[m[1]] {
			pc := strings.SplitN(key, "/", 2)
			if !pods.MatchString(pc[0]) {
				continue
			}
			val := v[1]
			if strings.Contains(term, "cpu_usage") {
				val = v[0]
			}
			sum[pc[1]] += val
			n[pc[1]]++
		}
		for c, s := range sum {
			se := series{Metric: map[string]string{"container": c, meansLabel: m[3]}}
			for t := start; t <= end; t += step {
				se.Values = append(se.Values, [2]any{t, fmt.Sprint(s / float64(n[c]))})
			}
			out = append(out, se)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": out}})
	_, _ = w.Write(b)
}

func TestPrometheusMeans(t *testing.T) {
	for _, batch := range []int{0, 1} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			deps, snap := demoSnapshot()
			ws := Group([]runtime.Object{deps[0], deps[1]}, snap, false, labels.Everything())
			fp := &fakeMeansProm{series: map[string]map[string][2]float64{
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
			p := &PrometheusMeans{Prometheus: &Prometheus{URL: srv.URL, Duration: 2 * time.Hour, Step: 5 * time.Minute}, Batch: batch}
			h, err := p.History(context.Background(), ws, t0)
			if err != nil {
				t.Fatal(err)
			}
			// One CPU and one memory query per batch of the namespace.
			wantQueries := 2
			if batch == 1 {
				wantQueries = 4
			}
			if len(fp.queries) != wantQueries {
				t.Fatalf("%d queries, want %d:\n%s", len(fp.queries), wantQueries, strings.Join(fp.queries, "\n"))
			}
			web := ContainerKey{Workload: "demo/Deployment/web", Container: "web"}
			api := ContainerKey{Workload: "demo/Deployment/api", Container: "api"}
			points := int(2*time.Hour/(5*time.Minute)) + 1
			if len(h.Samples[web]) != points || len(h.Samples[api]) != points || len(h.Samples) != 2 {
				t.Fatalf("samples: web %d, api %d, containers %d; want %d, %d, 2", len(h.Samples[web]), len(h.Samples[api]), len(h.Samples), points, points)
			}
			if s := h.Samples[web][0]; s.CPUMillicores != 500 || s.MemoryBytes != 450*model.MiB || !s.Time.Equal(t0.Add(-2*time.Hour)) {
				t.Errorf("web sample %+v: want the mean of its two pods (500 m, 450 MiB) at the range start", s)
			}
			if s := h.Samples[api][points-1]; s.CPUMillicores != 300 || !s.Time.Equal(t0) {
				t.Errorf("api sample %+v", s)
			}
		})
	}
}

func TestPrometheusMeansError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"error","errorType":"execution","error":"query timed out"}`, http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0]}, snap, false, labels.Everything())
	p := &PrometheusMeans{Prometheus: &Prometheus{URL: srv.URL}}
	_, err := p.History(context.Background(), ws, t0)
	if err == nil || !strings.HasPrefix(err.Error(), "prometheus "+srv.URL+": ") || !strings.Contains(err.Error(), "query for namespace demo") {
		t.Fatalf("err %v", err)
	}
}
