package kube

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/smartvpa/smartvpa/core/model"
)

func refs(ws []*Workload) string {
	var out []string
	for _, w := range ws {
		var pods []string
		for _, p := range w.Pods {
			pods = append(pods, p.Name)
		}
		out = append(out, w.Namespace+"/"+w.Ref()+"["+strings.Join(pods, ",")+"]")
	}
	return strings.Join(out, " ")
}

func TestGroup(t *testing.T) {
	deps, snap := demoSnapshot()
	cj := cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))
	tests := []struct {
		name string
		objs []runtime.Object
		all  bool
		sel  string
		want string
	}{
		{"explicit deployment", []runtime.Object{deps[0]}, false, "",
			"demo/deployment/web[web-7d9c5-abcde,web-7d9c5-fghij]"},
		{"everything", []runtime.Object{deps[0], deps[1], cj}, true, "",
			"demo/deployment/api[api-5f6b8-klmno] demo/deployment/web[web-7d9c5-abcde,web-7d9c5-fghij] demo/replicaset/lonely[] demo/cronjob/report[report-29000000-pqrst] demo/pod/debug[debug]"},
		{"selector keeps matching bare pods only", []runtime.Object{deps[0]}, true, "app=web",
			"demo/deployment/web[web-7d9c5-abcde,web-7d9c5-fghij]"},
		{"job without its cronjob", []runtime.Object{job("demo", "report-29000000", "report", container("report", "500m", "512Mi", "", ""))}, false, "",
			"demo/job/report-29000000[report-29000000-pqrst]"},
		{"replicaset named explicitly", []runtime.Object{replicaSet("demo", "web-7d9c5", "web")}, false, "",
			"demo/replicaset/web-7d9c5[web-7d9c5-abcde,web-7d9c5-fghij]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := labels.Parse(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := refs(Group(tt.objs, snap, tt.all, sel)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestGroupCronJobJobs(t *testing.T) {
	_, snap := demoSnapshot()
	ws := Group([]runtime.Object{cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))}, snap, false, labels.Everything())
	if len(ws) != 1 || strings.Join(ws[0].Jobs, ",") != "report-29000000" {
		t.Fatalf("cronjob jobs = %+v", ws)
	}
	if ws[0].Replicas != 1 {
		t.Errorf("cronjob replicas = %d, want 1 running pod", ws[0].Replicas)
	}
}

func TestNativeSidecars(t *testing.T) {
	_, snap := demoSnapshot()
	ws := Group(nil, snap, true, labels.Everything())
	var bare *Workload
	for _, w := range ws {
		if w.Kind == KindPod {
			bare = w
		}
	}
	if bare == nil {
		t.Fatal("bare pod not found")
	}
	var names []string
	for _, c := range bare.Containers {
		n := c.Name
		if c.Sidecar {
			n += "(sidecar)"
		}
		names = append(names, n)
	}
	// The plain init container is not a sidecar and is not right-sized.
	if got := strings.Join(names, ","); got != "main,proxy(sidecar)" {
		t.Fatalf("containers = %s", got)
	}
	if p := bare.Container("proxy"); p.Requests != (model.Resources{CPUMillicores: 20, MemoryBytes: 32 * model.MiB}) {
		t.Fatalf("sidecar requests = %v", p.Requests)
	}
}

func TestPodNamePattern(t *testing.T) {
	tests := []struct {
		kind, name, pod string
		want            bool
	}{
		{KindDeployment, "web", "web-7d9c5b4f8-x2k9z", true},
		{KindDeployment, "web", "web-api-7d9c5b4f8-x2k9z", false}, // "api" has vowels: not a hash
		{KindDeployment, "web", "web-0", false},
		{KindStatefulSet, "db", "db-1", true},
		{KindStatefulSet, "db", "db-x", false},
		{KindDaemonSet, "node-agent", "node-agent-b2x7q", true},
		{KindCronJob, "report", "report-29412340-b2x7q", true},
		{KindCronJob, "report", "report-b2x7q", false},
		{KindPod, "debug", "debug", true},
		{KindPod, "debug", "debug-2", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.pod, func(t *testing.T) {
			w := &Workload{Kind: tt.kind, Name: tt.name}
			re := regexp.MustCompile("^(?:" + w.PodNamePattern() + ")$")
			if got := re.MatchString(tt.pod); got != tt.want {
				t.Errorf("%s matches %s = %v, want %v", w.PodNamePattern(), tt.pod, got, tt.want)
			}
		})
	}
}
