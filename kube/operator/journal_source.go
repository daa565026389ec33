package operator

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
)

// DefaultCheckpointNamespace is where serve writes its checkpoint ConfigMaps
// unless told otherwise (serve's --checkpoint-namespace default).
const DefaultCheckpointNamespace = "smartvpa-system"

// JournalSource is a kube.HistorySource over the checkpoint ConfigMaps serve
// writes: each holds the journal of samples serve fed its recommender for
// the containers of one VPA, and the VPA's targetRef attributes it to a
// workload. Samples are exact (raw usage, not histograms). OOM kills in the
// journal are not carried: kube.History has no place for them, and the
// engine reads OOM kills from the pods' status instead.
//
// When several VPAs target the same workload, a container gets the journal
// of the most recently written checkpoint. Checkpoints whose VPA is gone, or
// was recreated (another UID), are skipped.
type JournalSource struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Namespace holds the checkpoint ConfigMaps (DefaultCheckpointNamespace
	// when empty).
	Namespace string
}

// Name returns "checkpoints".
func (s *JournalSource) Name() string { return "checkpoints" }

func (s *JournalSource) namespace() string {
	if s.Namespace == "" {
		return DefaultCheckpointNamespace
	}
	return s.Namespace
}

// journalEntry is a decoded checkpoint with its ConfigMap's name.
type journalEntry struct {
	configMap string
	ck        *Checkpoint
}

// History implements kube.HistorySource: one paged list of the checkpoint
// ConfigMaps (by label), and one list of VPAs per namespace of the workloads
// (cluster-wide when they span namespaces). A checkpoint namespace or VPA API
// the caller cannot read is a note, not an error.
func (s *JournalSource) History(ctx context.Context, ws []*kube.Workload, now time.Time) (*kube.History, error) {
	h := kube.NewHistory(s.Name())
	wanted := map[string]*kube.Workload{}
	byNS := map[string]bool{}
	for _, w := range ws {
		wanted[w.Key()] = w
		byNS[w.Namespace] = true
	}
	if len(ws) == 0 {
		return h, nil
	}
	entries, notes, err := s.listCheckpoints(ctx, byNS)
	h.Notes = append(h.Notes, notes...)
	if err != nil {
		if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			h.Notes = append(h.Notes, fmt.Sprintf("cannot read the serve journal in namespace %s (%v): pass --checkpoint-namespace where serve writes it", s.namespace(), err))
			return h, nil
		}
		return nil, fmt.Errorf("list checkpoint configmaps in %s: %w", s.namespace(), err)
	}
	if len(entries) == 0 {
		return h, nil
	}
	vpas, err := s.listVPAs(ctx, byNS)
	if err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
			h.Notes = append(h.Notes, "no VerticalPodAutoscaler API to attribute the serve journal: "+err.Error())
			return h, nil
		}
		return nil, fmt.Errorf("list verticalpodautoscalers: %w", err)
	}
	// The newest checkpoint per workload first, so a container takes the
	// most recent journal that has it.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].ck.Written.After(entries[j].ck.Written) })
	used := map[string]time.Time{} // configmap -> written
	var stale []string
	skipped, truncated := 0, 0
	for _, e := range entries {
		v := vpas[e.ck.VPA]
		if v == nil {
			continue
		}
		if v.UID != "" && e.ck.UID != "" && v.UID != e.ck.UID {
			stale = append(stale, e.configMap)
			continue
		}
		w := wanted[v.Namespace+"/"+v.Target.Kind+"/"+v.Target.Name]
		if w == nil {
			continue
		}
		for name, cc := range e.ck.Containers {
			if w.Container(name) == nil || len(cc.Samples) == 0 {
				continue
			}
			k := kube.ContainerKey{Workload: w.Key(), Container: name}
			if len(h.Samples[k]) > 0 {
				skipped++
				continue
			}
			h.Samples[k] = expandJournal(cc)
			used[e.configMap] = e.ck.Written
			if cc.Total > len(cc.Samples) {
				if h.Partial == nil {
					h.Partial = map[kube.ContainerKey]bool{}
				}
				h.Partial[k] = true
				truncated++
			}
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		h.Notes = append(h.Notes, fmt.Sprintf("serve journal: %d ConfigMap(s) written for an earlier VPA of the same name skipped (%s)", len(stale), strings.Join(stale, ", ")))
	}
	if len(used) > 0 {
		h.Notes = append(h.Notes, s.note(used, len(h.Samples), skipped, truncated))
	}
	return h, nil
}

// note says which checkpoint ConfigMaps the samples came from.
func (s *JournalSource) note(used map[string]time.Time, containers, skipped, truncated int) string {
	names := make([]string, 0, len(used))
	var newest time.Time
	for n, t := range used {
		names = append(names, s.namespace()+"/"+n)
		if t.After(newest) {
			newest = t
		}
	}
	sort.Strings(names)
	shown := names
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" and %d more", len(names)-3)
	}
	msg := fmt.Sprintf("checkpoints: samples of %d container(s) from the serve journal in %d ConfigMap(s) (%s%s), newest written %s",
		containers, len(names), strings.Join(shown, ", "), more, newest.UTC().Format(time.RFC3339))
	if truncated > 0 {
		msg += fmt.Sprintf("; %d journal(s) hold only their most recent samples", truncated)
	}
	if skipped > 0 {
		msg += fmt.Sprintf("; %d older journal(s) for the same containers ignored", skipped)
	}
	return msg
}

// journalSamples expands a container's journal into samples in time order.
func expandJournal(cc ContainerCheckpoint) []model.Sample {
	out := make([]model.Sample, 0, len(cc.Samples))
	for _, x := range cc.Samples {
		out = append(out, model.Sample{Time: time.Unix(0, cc.Start+int64(x[0])).UTC(), CPUMillicores: x[1], MemoryBytes: x[2]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// listCheckpoints lists the checkpoint ConfigMaps in pages (as serve's
// Restore does) and decodes those of VPAs in the namespaces wanted. A
// ConfigMap that does not decode is a note.
func (s *JournalSource) listCheckpoints(ctx context.Context, namespaces map[string]bool) ([]journalEntry, []string, error) {
	var out []journalEntry
	var notes []string
	cms := s.Client.CoreV1().ConfigMaps(s.namespace())
	opts := metav1.ListOptions{LabelSelector: CheckpointLabel, Limit: 50}
	for {
		list, err := cms.List(ctx, opts)
		if err != nil {
			return nil, notes, err
		}
		for i := range list.Items {
			cm := &list.Items[i]
			// The annotation names the VPA without decoding: skip other
			// namespaces' journals cheaply.
			if key := cm.Annotations[annotVPA]; key != "" && !namespaces[vpaNamespace(key)] {
				continue
			}
			ck, err := ReadCheckpoint(cm)
			if err != nil {
				notes = append(notes, fmt.Sprintf("serve journal: configmap %s/%s: %v: skipped", cm.Namespace, cm.Name, err))
				continue
			}
			if !strings.Contains(ck.VPA, "/") || !namespaces[vpaNamespace(ck.VPA)] {
				continue
			}
			out = append(out, journalEntry{configMap: cm.Name, ck: ck})
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	return out, notes, nil
}

// listVPAs returns the VPAs of the namespaces by key, in one list per
// namespace (one cluster-wide list when there are several).
func (s *JournalSource) listVPAs(ctx context.Context, namespaces map[string]bool) (map[string]*VPA, error) {
	nss := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	if len(nss) > 1 {
		nss = []string{metav1.NamespaceAll}
	}
	out := map[string]*VPA{}
	for _, ns := range nss {
		list, err := s.Dynamic.Resource(kube.VPAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			v, err := ParseVPA(&list.Items[i])
			if err != nil {
				continue // a VPA serve could not read has no journal
			}
			out[v.Key()] = v
		}
	}
	return out, nil
}

func vpaNamespace(key string) string {
	ns, _ := splitKey(key)
	return ns
}
