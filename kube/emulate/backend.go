package emulate

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/kwokusage"
	"github.com/smartvpa/smartvpa/kube/stressdeploy"
)

// MetricsAPI reads usage from metrics.k8s.io (metrics-server).
type MetricsAPI struct {
	Client metricsclient.Interface
}

// Usage implements UsageSource.
func (m MetricsAPI) Usage(ctx context.Context, namespace, pod, container string) (Reading, bool, error) {
	pm, err := m.Client.MetricsV1beta1().PodMetricses(namespace).Get(ctx, pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Reading{}, false, nil
	}
	if err != nil {
		return Reading{}, false, fmt.Errorf("read metrics.k8s.io pod metrics (is metrics-server running?): %w", err)
	}
	for _, c := range pm.Containers {
		if c.Name == container {
			return Reading{
				Time:          pm.Timestamp.Time,
				CPUMillicores: kube.CPUMillicores(c.Usage.Cpu().DeepCopy()),
				MemoryBytes:   kube.MemoryBytes(c.Usage.Memory().DeepCopy()),
			}, true, nil
		}
	}
	return Reading{}, false, nil
}

func resources(req, lim model.Resources) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: kube.ToResourceList(req)}
	if l := kube.ToResourceList(lim); len(l) > 0 {
		r.Limits = l
	}
	return r
}

// Kwok is the kwok backend: a pause pod on a kwok node whose usage the
// emulator sets through kwok's usage annotations (package kwokusage).
type Kwok struct {
	// Image is the container image (never pulled on kwok); default pause.
	Image string
	// NodeSelector places the pod (e.g. type=kwok); nil: any node.
	NodeSelector map[string]string
}

// Name returns "kwok".
func (k *Kwok) Name() string { return "kwok" }

// Setup does nothing: kwok needs no server.
func (k *Kwok) Setup(context.Context, kubernetes.Interface, string) error { return nil }

// Teardown does nothing.
func (k *Kwok) Teardown(context.Context, kubernetes.Interface, string) error { return nil }

// ClockAtPodStart is false: the emulator drives every sample.
func (k *Kwok) ClockAtPodStart() bool { return false }

// Pod returns a pause pod carrying the usage annotations of u and tolerating
// kwok's node taint.
func (k *Kwok) Pod(name string, req, lim model.Resources, u model.Sample) *corev1.Pod {
	image := k.Image
	if image == "" {
		image = "registry.k8s.io/pause:3.10"
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: kwokusage.Annotations(u.CPUMillicores, u.MemoryBytes)},
		Spec: corev1.PodSpec{
			NodeSelector: k.NodeSelector,
			Tolerations:  []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			Containers:   []corev1.Container{{Name: ContainerName, Image: image, Resources: resources(req, lim)}},
		},
	}
}

// Drive sets the pod's kwok usage annotations (nothing when they hold u).
func (k *Kwok) Drive(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, u model.Sample) error {
	if kwokusage.Current(pod.Annotations, u.CPUMillicores, u.MemoryBytes) {
		return nil
	}
	if err := kwokusage.Patch(ctx, c, pod.Namespace, pod.Name, u.CPUMillicores, u.MemoryBytes); err != nil {
		return err
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	for k, v := range kwokusage.Annotations(u.CPUMillicores, u.MemoryBytes) {
		pod.Annotations[k] = v
	}
	return nil
}

// Stress is the stress backend: the stress controller (package kube/stressdeploy)
// deploys the utilisation server with the workload, and the emulator's pods
// run the stress agent, which registers itself and produces the workload's
// usage for real as the server plays it from the pod's start at the same
// speed-up. The emulator does not drive samples (Drive does nothing): the
// server does.
type Stress struct {
	// Deployment describes the stress deployment; its Name, Namespace,
	// Speedup, Trace and images are used, Replicas is forced to 0 (the
	// emulator creates the agent pod itself).
	Deployment *stressdeploy.Deployment

	template *corev1.PodSpec
	labels   map[string]string
}

// Name returns "stress".
func (s *Stress) Name() string { return "stress" }

// ClockAtPodStart is true: the server plays the workload from the agent's
// registration, when its container starts.
func (s *Stress) ClockAtPodStart() bool { return true }

// Setup deploys the stress objects with no agent replica and keeps the agent
// pod template.
func (s *Stress) Setup(ctx context.Context, c kubernetes.Interface, ns string) error {
	if s.Deployment == nil {
		return errors.New("stress backend: no deployment")
	}
	d := *s.Deployment
	d.Namespace, d.Replicas = ns, 0
	_, _, deps, _, err := d.Objects()
	if err != nil {
		return err
	}
	for _, dep := range deps {
		if dep.Name == d.Name {
			s.template = dep.Spec.Template.Spec.DeepCopy()
			// Not the agent Deployment's selector: its ReplicaSet (0
			// replicas) would adopt and delete the pod.
			s.labels = map[string]string{stressdeploy.LabelStress: d.Name, stressdeploy.LabelComponent: "emulated-agent"}
		}
	}
	if s.template == nil {
		return errors.New("stress backend: the stress controller made no agent Deployment")
	}
	if _, err := stressdeploy.Apply(ctx, c, &d); err != nil {
		return fmt.Errorf("deploy the stress server: %w", err)
	}
	return nil
}

// Teardown removes what the stress controller created.
func (s *Stress) Teardown(ctx context.Context, c kubernetes.Interface, ns string) error {
	if s.Deployment == nil {
		return nil
	}
	_, err := stressdeploy.Delete(ctx, c, ns, s.Deployment.Name)
	return err
}

// Pod returns an agent pod from the stress controller's template with the
// given requests and limits; the agent registers it with the server itself.
func (s *Stress) Pod(name string, req, lim model.Resources, _ model.Sample) *corev1.Pod {
	spec := corev1.PodSpec{}
	if s.template != nil {
		spec = *s.template.DeepCopy()
	}
	for i := range spec.Containers {
		spec.Containers[i].Name = ContainerName
		spec.Containers[i].Resources = resources(req, lim)
		break
	}
	labels := map[string]string{}
	for k, v := range s.labels {
		labels[k] = v
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: spec}
}

// Drive does nothing: the utilisation server pushes the usage.
func (s *Stress) Drive(context.Context, kubernetes.Interface, *corev1.Pod, model.Sample) error {
	return nil
}
