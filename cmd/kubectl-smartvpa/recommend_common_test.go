package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
)

// TestEngineCheckpointSources: --history checkpoints (and auto's
// checkpoints step) reads serve's journal in --checkpoint-namespace per
// container before the upstream checkpoints; an empty namespace reads the
// upstream checkpoints only.
func TestEngineCheckpointSources(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: demo}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		at      int    // index of the checkpoints source
		journal string // namespace of the journal source, "" for none
	}{
		{"default namespace", []string{"--history", "checkpoints"}, 0, "smartvpa-system"},
		{"flag", []string{"--history", "checkpoints", "--checkpoint-namespace", "ops"}, 0, "ops"},
		{"auto", []string{"--checkpoint-namespace", "ops"}, 0, "ops"},
		{"auto with prometheus", []string{"--prometheus-url", "http://127.0.0.1:1"}, 1, "smartvpa-system"},
		{"empty: upstream only", []string{"--history", "checkpoints", "--checkpoint-namespace", ""}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PROMETHEUS_URL", "")
			cf := genericclioptions.NewConfigFlags(true)
			*cf.KubeConfig = kc
			o := &liveOptions{configFlags: cf, cmd: "recommend"}
			cmd := &cobra.Command{Use: "recommend"}
			o.addFlags(cmd, true)
			if err := cmd.Flags().Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := o.validate(); err != nil {
				t.Fatal(err)
			}
			e, err := o.engine()
			if err != nil {
				t.Fatal(err)
			}
			src := e.Sources[tc.at]
			if src.Name() != "checkpoints" {
				t.Fatalf("source %d is %s", tc.at, src.Name())
			}
			if tc.journal == "" {
				if _, ok := src.(*kube.Checkpoints); !ok {
					t.Fatalf("source is %T, want *kube.Checkpoints", src)
				}
				return
			}
			pc, ok := src.(*kube.PerContainer)
			if !ok || len(pc.Sources) != 2 {
				t.Fatalf("source is %T %+v, want the journal then the upstream checkpoints", src, src)
			}
			j, ok := pc.Sources[0].(*operator.JournalSource)
			if !ok || j.Namespace != tc.journal {
				t.Fatalf("first source %T %+v, want the journal in %s", pc.Sources[0], pc.Sources[0], tc.journal)
			}
			if _, ok := pc.Sources[1].(*kube.Checkpoints); !ok {
				t.Fatalf("second source %T, want *kube.Checkpoints", pc.Sources[1])
			}
		})
	}
}
