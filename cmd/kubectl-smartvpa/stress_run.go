package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/kube/stressdeploy"
	"github.com/smartvpa/smartvpa/workloads"
)

// stressImageRepo is where `make images` pushes the stress images.
const stressImageRepo = "ghcr.io/smartvpa"

// StressRunOptions holds the flags of `stress run`.
type StressRunOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	Workload      string
	Store         string
	Name          string
	Image         string
	ServerImage   string
	Replicas      int32
	Speedup       float64
	Interval      time.Duration
	CPURequest    string
	MemoryRequest string
	Loop          bool

	cmd string
	dep *stressdeploy.Deployment
}

func (c *cli) newStressRunCmd() *cobra.Command {
	o := &StressRunOptions{configFlags: c.configFlags, IOStreams: c.streams, Store: workloads.DefaultStoreDir,
		Image: stressImageRepo + "/smartvpa-stress-agent:" + version, ServerImage: stressImageRepo + "/smartvpa-stress-server:" + version,
		Replicas: 1, Speedup: 1, Interval: 5 * time.Second, CPURequest: "100m", MemoryRequest: "128Mi"}
	cmd := c.bind(&cobra.Command{
		Use:   "run --workload ID|PATH --name NAME [-n NS] [--image IMG] [--server-image IMG] [--replicas N] [--speedup X]",
		Short: "Deploy stress pods that follow a workload, with their utilisation server",
		Long: `Deploy a stress workload in a namespace: the utilisation server (Deployment and
Service <name>-server, the workload mounted from ConfigMap <name>-workload and
uploaded at start, a bearer token in Secret <name>-token) and --replicas stress
pods (Deployment <name>, headless Service <name>), each of which registers
itself with the server and produces the workload at --speedup.

Every object carries the label smartvpa.io/stress=<name>; 'stress delete
--name <name>' removes them all. The workload must fit in a ConfigMap (1 MiB
of trace.csv). The images are built by 'make images'.`,
		Example: `  kubectl smartvpa stress run --workload step-3f2a --name stress -n load --replicas 2 --speedup 60
  kubectl smartvpa stress run --workload data/workloads/step-3f2a --name demo --image registry.local/stress-agent:dev --server-image registry.local/stress-server:dev
  kubectl smartvpa stress delete --name stress -n load`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Workload, "workload", "", "workload id in --store, workload folder or trace.csv file (required)")
	_ = cmd.RegisterFlagCompletionFunc("workload", completeWorkloadIDs)
	f.StringVar(&o.Store, "store", o.Store, "workload store folder where workload ids are looked up")
	f.StringVar(&o.Name, "name", "", "name of the stress deployment (required)")
	f.StringVar(&o.Image, "image", o.Image, "stress agent image")
	f.StringVar(&o.ServerImage, "server-image", o.ServerImage, "utilisation server image")
	f.Int32Var(&o.Replicas, "replicas", o.Replicas, "number of stress pods")
	f.Float64Var(&o.Speedup, "speedup", o.Speedup, "workload seconds per wall second")
	f.DurationVar(&o.Interval, "interval", o.Interval, "wall time between two targets sent to a pod")
	f.StringVar(&o.CPURequest, "cpu-request", o.CPURequest, "initial CPU request of the stress pods")
	f.StringVar(&o.MemoryRequest, "memory-request", o.MemoryRequest, "initial memory request of the stress pods")
	f.BoolVar(&o.Loop, "loop", false, "replay the workload from the start when it ends")
	return cmd
}

// Complete records the command path.
func (o *StressRunOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

func checkStressName(cmdPath, name string) error {
	if name == "" {
		return usageErrorf(cmdPath, "--name is required: name the stress deployment, e.g. --name stress")
	}
	// <name>-workload is the longest object name and must be a DNS label
	if errs := validation.IsDNS1035Label(name + "-workload"); len(errs) > 0 {
		return usageErrorf(cmdPath, "--name %q: %s", name, errs[0])
	}
	return nil
}

// Validate checks the flags and loads the workload.
func (o *StressRunOptions) Validate() error {
	if o.Workload == "" {
		return usageErrorf(o.cmd, "--workload is required: give a workload id, folder or trace.csv file")
	}
	if err := checkStressName(o.cmd, o.Name); err != nil {
		return err
	}
	switch {
	case o.Replicas < 0:
		return usageErrorf(o.cmd, "--replicas must not be negative")
	case !(o.Speedup > 0):
		return usageErrorf(o.cmd, "--speedup must be positive, e.g. 60")
	case o.Interval <= 0:
		return usageErrorf(o.cmd, "--interval must be positive, e.g. 5s")
	case o.Image == "" || o.ServerImage == "":
		return usageErrorf(o.cmd, "--image and --server-image must not be empty")
	}
	cpu, err := resource.ParseQuantity(o.CPURequest)
	if err != nil {
		return usageErrorf(o.cmd, "--cpu-request %q is not a quantity, e.g. 250m", o.CPURequest)
	}
	mem, err := resource.ParseQuantity(o.MemoryRequest)
	if err != nil {
		return usageErrorf(o.cmd, "--memory-request %q is not a quantity, e.g. 256Mi", o.MemoryRequest)
	}
	t, err := loadTrace(o.Workload, o.Store)
	if err != nil {
		return err
	}
	o.dep = &stressdeploy.Deployment{Name: o.Name, Trace: t, AgentImage: o.Image, ServerImage: o.ServerImage, Replicas: o.Replicas,
		Speedup: o.Speedup, Interval: o.Interval.String(), CPURequest: cpu, MemoryRequest: mem, Loop: o.Loop}
	if _, _, _, _, err := o.dep.Objects(); err != nil {
		return inputError(err)
	}
	return nil
}

func stressClient(cmdPath string, configFlags *genericclioptions.ConfigFlags) (kubernetes.Interface, string, error) {
	ns, _, err := configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", usageErrorf(cmdPath, "kubeconfig: %v", err)
	}
	cfg, err := configFlags.ToRESTConfig()
	if err != nil {
		return nil, "", usageErrorf(cmdPath, "kubeconfig: %v", err)
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", clusterError(err)
	}
	return c, ns, nil
}

// Run creates the objects.
func (o *StressRunOptions) Run(ctx context.Context) error {
	c, ns, err := stressClient(o.cmd, o.configFlags)
	if err != nil {
		return err
	}
	o.dep.Namespace = ns
	created, err := stressdeploy.Apply(ctx, c, o.dep)
	for _, obj := range created {
		fmt.Fprintf(o.Out, "%s created\n", obj)
	}
	if err != nil {
		return clusterError(err)
	}
	fmt.Fprintf(o.ErrOut, "stress %s in %s: %d pods follow workload %s at speed-up %g; remove with 'kubectl smartvpa stress delete --name %s -n %s'\n",
		o.Name, ns, o.Replicas, o.dep.Trace.ID, o.Speedup, o.Name, ns)
	return nil
}

// StressDeleteOptions holds the flags of `stress delete`.
type StressDeleteOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	Name string
	cmd  string
}

func (c *cli) newStressDeleteCmd() *cobra.Command {
	o := &StressDeleteOptions{configFlags: c.configFlags, IOStreams: c.streams}
	cmd := c.bind(&cobra.Command{
		Use:   "delete --name NAME [-n NS]",
		Short: "Remove everything 'stress run' created",
		Long: `Remove the Deployments, Services, ConfigMap and Secret that 'stress run --name
NAME' created in the namespace (every object labelled smartvpa.io/stress=NAME
and managed by kubectl-smartvpa). Deleting what is already gone is not an
error.`,
		Example: `  kubectl smartvpa stress delete --name stress -n load`,
		Args:    noArgs,
	}, o)
	cmd.Flags().StringVar(&o.Name, "name", "", "name given to 'stress run' (required)")
	return cmd
}

// Complete records the command path.
func (o *StressDeleteOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

// Validate checks the name.
func (o *StressDeleteOptions) Validate() error { return checkStressName(o.cmd, o.Name) }

// Run deletes the objects and lists what it deleted.
func (o *StressDeleteOptions) Run(ctx context.Context) error {
	c, ns, err := stressClient(o.cmd, o.configFlags)
	if err != nil {
		return err
	}
	deleted, err := stressdeploy.Delete(ctx, c, ns, o.Name)
	for _, obj := range deleted {
		fmt.Fprintf(o.Out, "%s deleted\n", obj)
	}
	if err != nil {
		return clusterError(err)
	}
	if len(deleted) == 0 {
		fmt.Fprintf(o.ErrOut, "nothing to delete: no stress objects named %s in %s\n", o.Name, ns)
	}
	return nil
}
