// Package stressdeploy is the stress controller: it deploys a stress workload
// on a cluster (package stress holds the server, the agent and the local
// runner, and imports no Kubernetes client):
//
//   - ConfigMap <name>-workload: the workload's trace.csv and meta.json,
//     mounted into the server as its store (step 1 happens at server start,
//     --workload <id>);
//   - Secret <name>-token: the bearer token shared by server and agents;
//   - Deployment and Service <name>-server: the utilisation server;
//   - Deployment and Service <name>: the stress pods; each agent registers
//     its own pod and the service (step 2) and connects (steps 3 and 4).
//
// Everything carries the label smartvpa.io/stress=<name>, by which Delete
// finds it. Nothing outside the cluster has to reach the server.
package stressdeploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/stress"
	"github.com/smartvpa/smartvpa/workloads"
)

// Labels of the objects the controller creates.
const (
	LabelStress    = "smartvpa.io/stress"
	LabelComponent = "smartvpa.io/stress-component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubectl-smartvpa"
)

// maxConfigMapBytes is what a ConfigMap can hold (1 MiB), minus room for
// its metadata.
const maxConfigMapBytes = 1<<20 - 16<<10

// Deployment describes a stress deployment.
type Deployment struct {
	Namespace   string
	Name        string
	Trace       *workloads.Trace
	AgentImage  string
	ServerImage string
	Replicas    int32
	Speedup     float64
	Interval    string // server --interval, e.g. "5s"
	// Token is the bearer token (generated when empty).
	Token string
	// CPURequest and MemoryRequest are the agents' initial requests.
	CPURequest    resource.Quantity
	MemoryRequest resource.Quantity
	Loop          bool
}

// Objects returns the objects of d, in creation order.
func (d *Deployment) Objects() (*corev1.ConfigMap, *corev1.Secret, []*appsv1.Deployment, []*corev1.Service, error) {
	if d.Trace == nil {
		return nil, nil, nil, nil, errors.New("no workload")
	}
	var csv bytes.Buffer
	if err := workloads.WriteTraceCSV(&csv, d.Trace); err != nil {
		return nil, nil, nil, nil, err
	}
	meta, err := workloads.MarshalMeta(d.Trace)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if csv.Len()+len(meta) > maxConfigMapBytes {
		return nil, nil, nil, nil, fmt.Errorf("workload %s is %d bytes, more than a ConfigMap holds (1 MiB): use a shorter workload or a longer interval", d.Trace.ID, csv.Len()+len(meta))
	}
	labels := func(component string) map[string]string {
		return map[string]string{LabelStress: d.Name, LabelComponent: component, LabelManagedBy: ManagedBy}
	}
	serverName := d.Name + "-server"
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-workload", Namespace: d.Namespace, Labels: labels("workload")},
		Data:       map[string]string{workloads.TraceFile: csv.String(), "meta.json": string(meta)},
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-token", Namespace: d.Namespace, Labels: labels("token")},
		StringData: map[string]string{"token": d.Token},
	}
	tokenEnv := corev1.EnvVar{Name: "SMARTVPA_STRESS_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: sec.Name}, Key: "token"}}}
	nonRoot := true
	uid := int64(65532)
	noEscalation := false
	podSecurity := &corev1.PodSecurityContext{RunAsNonRoot: &nonRoot, RunAsUser: &uid, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
	ctrSecurity := &corev1.SecurityContext{AllowPrivilegeEscalation: &noEscalation, ReadOnlyRootFilesystem: &nonRoot,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	one := int32(1)

	serverLabels := labels("server")
	server := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: serverName, Namespace: d.Namespace, Labels: serverLabels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelStress: d.Name, LabelComponent: "server"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: serverLabels},
				Spec: corev1.PodSpec{
					SecurityContext: podSecurity,
					Containers: []corev1.Container{{
						Name: "server", Image: d.ServerImage,
						Args: []string{"--listen", "0.0.0.0:" + strconv.Itoa(stress.DefaultPort), "--store", "/data/workloads",
							"--workload", d.Trace.ID, "--interval", d.Interval, "--speedup", strconv.FormatFloat(d.Speedup, 'g', -1, 64)},
						Env:             []corev1.EnvVar{tokenEnv},
						Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: stress.DefaultPort}},
						SecurityContext: ctrSecurity,
						VolumeMounts:    []corev1.VolumeMount{{Name: "workload", MountPath: "/data/workloads/" + d.Trace.ID, ReadOnly: true}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
							Path: "/healthz", Port: intstr.FromString("http")}}},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
					}},
					Volumes: []corev1.Volume{{Name: "workload", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}}}}},
				},
			},
		},
	}
	serverSvc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: serverName, Namespace: d.Namespace, Labels: serverLabels},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelStress: d.Name, LabelComponent: "server"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: stress.DefaultPort, TargetPort: intstr.FromString("http")}},
		},
	}

	agentLabels := labels("agent")
	agentArgs := []string{"--workload", d.Trace.ID, "--service", d.Name, "--speedup", strconv.FormatFloat(d.Speedup, 'g', -1, 64)}
	if d.Loop {
		agentArgs = append(agentArgs, "--loop")
	}
	replicas := d.Replicas
	agents := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, Labels: agentLabels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelStress: d.Name, LabelComponent: "agent"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: agentLabels},
				Spec: corev1.PodSpec{
					SecurityContext: podSecurity,
					Containers: []corev1.Container{{
						Name: "stress", Image: d.AgentImage, Args: agentArgs,
						Env: []corev1.EnvVar{
							{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
							{Name: "SMARTVPA_STRESS_SERVER", Value: fmt.Sprintf("http://%s.%s.svc:%d", serverName, d.Namespace, stress.DefaultPort)},
							tokenEnv,
						},
						SecurityContext: ctrSecurity,
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: d.CPURequest, corev1.ResourceMemory: d.MemoryRequest}},
					}},
				},
			},
		},
	}
	// the agents' Service: what VPA-style tooling and the registration name
	agentSvc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, Labels: agentLabels},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{LabelStress: d.Name, LabelComponent: "agent"},
			Ports:     []corev1.ServicePort{{Name: "none", Port: 9}},
		},
	}
	return cm, sec, []*appsv1.Deployment{server, agents}, []*corev1.Service{serverSvc, agentSvc}, nil
}

// Created lists what Apply created, as kind/name.
type Created []string

// Apply creates (or, with replace, replaces) the objects of d. It stops at
// the first error; what was created stays and Delete removes it.
func Apply(ctx context.Context, c kubernetes.Interface, d *Deployment) (Created, error) {
	if d.Token == "" {
		tok, err := stress.NewToken()
		if err != nil {
			return nil, err
		}
		d.Token = tok
	}
	cm, sec, deps, svcs, err := d.Objects()
	if err != nil {
		return nil, err
	}
	var out Created
	create := func(kind, name string, fn func() error) error {
		if err := fn(); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("%s %s/%s already exists: run 'kubectl smartvpa stress delete --name %s -n %s' first", kind, d.Namespace, name, d.Name, d.Namespace)
			}
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("create %s %s/%s: namespace %s not found: create it (kubectl create namespace %s) or choose another with -n: %w", kind, d.Namespace, name, d.Namespace, d.Namespace, err)
			}
			return fmt.Errorf("create %s %s/%s: %w", kind, d.Namespace, name, err)
		}
		out = append(out, kind+"/"+name)
		return nil
	}
	ns := d.Namespace
	if err := create("configmap", cm.Name, func() error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		return err
	}); err != nil {
		return out, err
	}
	if err := create("secret", sec.Name, func() error {
		_, err := c.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{})
		return err
	}); err != nil {
		return out, err
	}
	for _, s := range svcs {
		if err := create("service", s.Name, func() error {
			_, err := c.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
			return err
		}); err != nil {
			return out, err
		}
	}
	for _, dep := range deps {
		if err := create("deployment", dep.Name, func() error {
			_, err := c.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{})
			return err
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Delete removes every object labelled smartvpa.io/stress=name in namespace
// and returns what it deleted, as kind/name.
func Delete(ctx context.Context, c kubernetes.Interface, namespace, name string) ([]string, error) {
	sel := metav1.ListOptions{LabelSelector: LabelStress + "=" + name + "," + LabelManagedBy + "=" + ManagedBy}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	var out []string
	del := func(kind, n string, fn func() error) error {
		if err := fn(); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s %s/%s: %w", kind, namespace, n, err)
		}
		out = append(out, kind+"/"+n)
		return nil
	}
	deps, err := c.AppsV1().Deployments(namespace).List(ctx, sel)
	if err != nil {
		return out, fmt.Errorf("list deployments in %s: %w", namespace, err)
	}
	for _, o := range deps.Items {
		if err := del("deployment", o.Name, func() error { return c.AppsV1().Deployments(namespace).Delete(ctx, o.Name, opts) }); err != nil {
			return out, err
		}
	}
	svcs, err := c.CoreV1().Services(namespace).List(ctx, sel)
	if err != nil {
		return out, fmt.Errorf("list services in %s: %w", namespace, err)
	}
	for _, o := range svcs.Items {
		if err := del("service", o.Name, func() error { return c.CoreV1().Services(namespace).Delete(ctx, o.Name, opts) }); err != nil {
			return out, err
		}
	}
	cms, err := c.CoreV1().ConfigMaps(namespace).List(ctx, sel)
	if err != nil {
		return out, fmt.Errorf("list configmaps in %s: %w", namespace, err)
	}
	for _, o := range cms.Items {
		if err := del("configmap", o.Name, func() error { return c.CoreV1().ConfigMaps(namespace).Delete(ctx, o.Name, opts) }); err != nil {
			return out, err
		}
	}
	secs, err := c.CoreV1().Secrets(namespace).List(ctx, sel)
	if err != nil {
		return out, fmt.Errorf("list secrets in %s: %w", namespace, err)
	}
	for _, o := range secs.Items {
		if err := del("secret", o.Name, func() error { return c.CoreV1().Secrets(namespace).Delete(ctx, o.Name, opts) }); err != nil {
			return out, err
		}
	}
	return out, nil
}
