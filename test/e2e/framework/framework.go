//go:build e2e

// Package framework gives end-to-end tests the local control plane of hack/cluster-up.sh: a real
// kube-apiserver (RBAC on) with kwok nodes, metrics-server behind the aggregator, Prometheus with
// backfilled history, and the demo namespace.
//
// Get reuses a running cluster (hack/cluster-status.sh exits 0) or brings one up with
// hack/cluster-up.sh, once per test binary. Set SMARTVPA_E2E_NO_UP=1 to skip the tests instead of
// starting a cluster. The cluster is left running: tests create their own namespaces and delete
// them when they end.
package framework

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
)

// DemoNamespace holds the seed objects (hack/cluster/manifests/20-demo.yaml).
const DemoNamespace = "demo"

// Cluster is a running local control plane.
type Cluster struct {
	Root           string // repository root
	Kubeconfig     string // admin
	KubeconfigView string // view-only ServiceAccount smartvpa-system/smartvpa-viewer
	PrometheusURL  string

	Config     *rest.Config
	ViewConfig *rest.Config
	Client     kubernetes.Interface
	ViewClient kubernetes.Interface
	// Metrics reads metrics.k8s.io through the aggregator with the admin identity.
	Metrics metricsclient.Interface
	// ViewMetrics reads metrics.k8s.io with the view-only identity.
	ViewMetrics metricsclient.Interface
}

var (
	once     sync.Once
	shared   *Cluster
	setupErr error
)

// Get returns the cluster, bringing it up (once per test binary) when it is down.
func Get(tb testing.TB) *Cluster {
	tb.Helper()
	once.Do(func() { shared, setupErr = setup() })
	if errors.Is(setupErr, errSkip) {
		tb.Skip(setupErr.Error())
	}
	if setupErr != nil {
		tb.Fatalf("local control plane: %v", setupErr)
	}
	return shared
}

var errSkip = errors.New("local control plane is down and SMARTVPA_E2E_NO_UP is set")

func setup() (*Cluster, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	env, up := Status(root)
	if !up {
		if os.Getenv("SMARTVPA_E2E_NO_UP") != "" {
			return nil, errSkip
		}
		fmt.Fprintln(os.Stderr, "e2e: local control plane is down; running hack/cluster-up.sh (cold: about 30 min)")
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "cluster-up.sh"))
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("hack/cluster-up.sh: %w", err)
		}
		if env, up = Status(root); !up {
			return nil, errors.New("hack/cluster-status.sh still reports the cluster down after cluster-up")
		}
	}
	c := &Cluster{Root: root, Kubeconfig: env["KUBECONFIG"], KubeconfigView: env["KUBECONFIG_VIEW"], PrometheusURL: env["PROMETHEUS_URL"]}
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	if c.ViewConfig, err = clientcmd.BuildConfigFromFlags("", c.KubeconfigView); err != nil {
		return nil, fmt.Errorf("view-only kubeconfig: %w", err)
	}
	for _, cfg := range []*rest.Config{c.Config, c.ViewConfig} {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if c.ViewClient, err = kubernetes.NewForConfig(c.ViewConfig); err != nil {
		return nil, err
	}
	if c.Metrics, err = metricsclient.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if c.ViewMetrics, err = metricsclient.NewForConfig(c.ViewConfig); err != nil {
		return nil, err
	}
	return c, nil
}

// RepoRoot walks up from the working directory to the directory of the product's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/smartvpa/smartvpa\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of github.com/smartvpa/smartvpa) not found above the working directory")
		}
		dir = parent
	}
}

// Status runs hack/cluster-status.sh and returns its KEY=VALUE lines and whether it exited 0.
func Status(root string) (map[string]string, bool) {
	cmd := exec.Command(filepath.Join(root, "hack", "cluster-status.sh"))
	cmd.Dir = root
	out, err := cmd.Output()
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env, err == nil
}

// Namespace creates a namespace named prefix-<random> that is deleted when the test ends.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%06d", prefix, rand.IntN(1000000))
	ctx := context.Background()
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"smartvpa.io/e2e": "true"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := c.Client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	// ServiceAccount admission rejects pods until the namespace's default ServiceAccount exists.
	Eventually(t, 30*time.Second, func() (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}, "default ServiceAccount in %s", name)
	return name
}

// Eventually polls cond every 500 ms until it returns true, fails the test after timeout.
// A returned error is remembered and reported on timeout, not fatal by itself.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, error), what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, fmt.Sprintf(what, args...), last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// KwokNode reports whether the node is a fake node managed by kwok.
func KwokNode(n *corev1.Node) bool { return n.Annotations["kwok.x-k8s.io/node"] == "fake" }

// PromSeries is one series of a Prometheus range query.
type PromSeries struct {
	Labels map[string]string
	Times  []time.Time
	Values []float64
}

// PromQueryRange runs a range query against the cluster's Prometheus.
func (c *Cluster) PromQueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]PromSeries, error) {
	q := url.Values{}
	q.Set("query", query)
	q.Set("start", strconv.FormatInt(start.Unix(), 10))
	q.Set("end", strconv.FormatInt(end.Unix(), 10))
	q.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.PrometheusURL+"/api/v1/query_range?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode Prometheus answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus query %q: %s", query, body.Error)
	}
	var out []PromSeries
	for _, r := range body.Data.Result {
		s := PromSeries{Labels: r.Metric}
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return nil, fmt.Errorf("prometheus value %q: %w", str, err)
			}
			s.Times = append(s.Times, time.Unix(int64(ts), 0))
			s.Values = append(s.Values, f)
		}
		out = append(out, s)
	}
	return out, nil
}
