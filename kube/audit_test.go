package kube

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/workloads"
)

func TestAuditVerdicts(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	tests := []struct {
		maxDrift     float64
		wantDrifting int
		wantStatus   AuditOutcome
	}{
		{0.3, 2, AuditDrift}, // api under-provisioned 183 %, web memory -45 %
		{0.5, 1, AuditDrift},
		{2.0, 0, AuditOK},
	}
	for _, tt := range tests {
		t.Run(strings.TrimRight(strings.TrimRight(strings.Replace(time.Duration(tt.maxDrift*1000).String(), "µs", "", 1), "0"), "."), func(t *testing.T) {
			a := Audit(rep, tt.maxDrift)
			if a.Drifting != tt.wantDrifting || a.Status != tt.wantStatus {
				t.Fatalf("drifting %d status %s, want %d %s", a.Drifting, a.Status, tt.wantDrifting, tt.wantStatus)
			}
			if a.Unknown != 3 || a.Checked != 5 {
				t.Fatalf("checked %d unknown %d", a.Checked, a.Unknown)
			}
		})
	}
}

func TestAuditGolden(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	a := Audit(rep, 0.3)
	for _, f := range AuditFormats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := PrintAudit(&b, a, f); err != nil {
				t.Fatal(err)
			}
			if f == "junit" {
				var v struct {
					Tests    int `xml:"tests,attr"`
					Failures int `xml:"failures,attr"`
				}
				if err := xml.Unmarshal(b.Bytes(), &v); err != nil || v.Tests != 5 || v.Failures != 2 {
					t.Fatalf("junit: %v %+v", err, v)
				}
			}
			golden(t, "audit."+f, b.Bytes())
		})
	}
}

const manifests = `# two documents and a list
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {smartvpa.io/workload: sine-web}
    spec:
      containers:
      - name: web
        resources: {requests: {cpu: "1", memory: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db, namespace: data}
  spec:
    selector: {matchLabels: {app: db}}
    template:
      metadata: {labels: {app: db}}
      spec:
        containers:
        - name: db
          resources: {requests: {cpu: 250m, memory: 512Mi}}
`

func TestParseManifests(t *testing.T) {
	ws, err := ParseManifests([]byte(manifests), "app.yaml", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got := refs(ws); got != "prod/deployment/web[] data/statefulset/db[]" {
		t.Fatalf("workloads = %s", got)
	}
	if ws[0].Replicas != 3 || ws[0].Containers[0].Requests.CPUMillicores != 1000 {
		t.Fatalf("web = %+v", ws[0])
	}
}

func TestParseManifestsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\nkind: Deployment\nmetadata:\n  name: [x\n", "f.yaml:5: line 7: did not find expected ',' or ']'"},
		{"no kind", "---\nmetadata: {name: x}\n", "f.yaml:2: field kind: missing"},
		{"no name", "kind: Deployment\napiVersion: apps/v1\nmetadata: {}\n", "f.yaml:1: field metadata.name: missing in Deployment"},
		{"bad field", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\nspec: {replicas: many}\n", "f.yaml:1: Deployment /x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifests([]byte(tt.in), "f.yaml", "")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzParseManifests(f *testing.F) {
	f.Add([]byte(manifests))
	f.Add([]byte("---\n---\nkind: Pod\nmetadata: {name: p}\n"))
	f.Add([]byte("kind: List\nitems: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseManifests(data, "fuzz.yaml", "default")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, w := range ws {
			if w.Name == "" && w.Kind != KindPod {
				t.Fatalf("workload without a name: %+v", w)
			}
		}
	})
}

func TestOfflineTraces(t *testing.T) {
	dir := t.TempDir()
	store := workloads.OpenStore(dir)
	tr := &workloads.Trace{ID: "sine-web", Meta: workloads.Meta{Source: "generator", Type: "sinusoidal"}}
	for i := 0; i < 10*24*12; i++ {
		tr.Append(t0.Add(time.Duration(i)*5*time.Minute), 300, 400*model.MiB)
	}
	if _, err := store.Save(tr); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := ReadManifests([]string{path}, "prod")
	if err != nil {
		t.Fatal(err)
	}
	h, err := (&Traces{Store: store, Duration: 8 * 24 * time.Hour}).History(context.Background(), ws, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	k := ContainerKey{Workload: "prod/Deployment/web", Container: "web"}
	if got := h.Span(k); got != 8*24*time.Hour {
		t.Fatalf("span = %s, want the last 8 days", got)
	}
	if h.Has(ContainerKey{Workload: "data/StatefulSet/db", Container: "db"}) {
		t.Fatal("db has no trace")
	}
	e := &Engine{Recommender: "vpa", Sources: []HistorySource{&Traces{Store: store}}}
	rep, err := e.Recommend(context.Background(), ws, h, nil, h.End())
	if err != nil {
		t.Fatal(err)
	}
	a := Audit(rep, 0.3)
	if a.Drifting != 1 || a.Unknown != 1 || a.Items[1].Name != "web" || a.Items[1].Status != "drift" {
		t.Fatalf("audit = %+v", a.Items)
	}
}
