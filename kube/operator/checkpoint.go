package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/smartvpa/smartvpa/core/model"
)

// Checkpoint ConfigMaps. smartvpa's state for any recommender is the journal
// of samples (and OOM kills) its recommender was fed: restoring replays them
// into a fresh recommender, which then holds the state it had (exactly, while
// the journal covers the whole history; older samples than MaxJournal are
// dropped). One ConfigMap per VPA in the checkpoint namespace, named
// smartvpa-ckpt-<hash of namespace/name>, labelled CheckpointLabel.
//
// The journal lives in the ConfigMap, not in serve's memory: serve keeps
// only the samples fed since the last write, and a write reads the
// ConfigMap, appends them to its journal (dropping the oldest past
// MaxJournal) and updates it with the resourceVersion it read, so two
// replicas cannot overwrite each other's samples.
//
// Version 3 (written) holds binaryData[JournalKey]: JournalMagic, the
// uvarint length of a JSON header (checkpointMeta: VPA, UID, recommender,
// the pods' slots, per container its history bounds and OOM kills), the
// header, then per container in header order its journal in
// journal.appendTo's binary form (delta-encoded, about 9 bytes a sample,
// exact, each sample with its pod's slot: the recommenders keep one memory
// window per pod, as upstream). Version 2 (read) is the same without slots
// and pod tags: its samples replay as one pod's. Version 1 (read, converted
// on the next write) held binaryData[CheckpointKey]: gzip of the JSON
// Checkpoint with samples as [offset, CPU, memory] triples. Readers refuse
// versions they do not know.
const (
	CheckpointLabel   = "smartvpa.io/checkpoint"
	CheckpointKey     = "state.json.gz"
	JournalKey        = "journal.v2"
	JournalMagic      = "svj\x02"
	CheckpointVersion = 3
	annotVPA          = "smartvpa.io/vpa"
	// maxCheckpointBytes keeps a ConfigMap under the API server's 1 MiB
	// limit: a larger journal loses its oldest chunks first.
	maxCheckpointBytes = 900 << 10
)

// Checkpoint is the versioned state of one VPA, as readers see it (the
// journals expanded into samples).
type Checkpoint struct {
	Version     int                            `json:"version"`
	Recommender string                         `json:"recommender"`
	VPA         string                         `json:"vpa"`
	UID         string                         `json:"uid"`
	Written     time.Time                      `json:"written"`
	Containers  map[string]ContainerCheckpoint `json:"containers"`
	// Seen is the last metrics window used per pod/container.
	Seen map[string]time.Time `json:"seen,omitempty"`
	// OOMSeen is the last OOM kill recorded per pod/container.
	OOMSeen map[string]time.Time `json:"oomSeen,omitempty"`
}

// ContainerCheckpoint is one container's journal.
type ContainerCheckpoint struct {
	// Start is the Unix time in ns the sample offsets count from.
	Start int64 `json:"start"`
	// Samples are [ns after Start, CPU millicores, memory bytes].
	Samples [][3]float64 `json:"samples"`
	OOMs    []OOM        `json:"ooms,omitempty"`
	// First, Last and Total describe the whole history, journal or not.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Total int       `json:"total"`
}

// OOM is an OOM kill in a checkpoint.
type OOM struct {
	Time               time.Time `json:"time"`
	MemoryRequestBytes float64   `json:"memoryRequestBytes"`
	MemoryUsageBytes   float64   `json:"memoryUsageBytes,omitempty"`
	// Slot is the killed pod's slot and Start whether it was the first
	// event of that pod in its slot (version 3).
	Slot  int  `json:"slot,omitempty"`
	Start bool `json:"start,omitempty"`
}

// CheckpointName is the ConfigMap name of VPA namespace/name.
func CheckpointName(namespace, name string) string {
	h := sha256.Sum256([]byte(namespace + "/" + name))
	return "smartvpa-ckpt-" + hex.EncodeToString(h[:8])
}

// pendingWrite is what a checkpoint write takes from a VPA's state under
// the lock: the header and the samples fed since the last write.
type pendingWrite struct {
	meta  checkpointMeta
	fresh map[string][]taggedSample
}

// takePending returns the VPA's header and unwritten samples (called with
// c.mu held). The samples stay pending until the write succeeds.
func (s *vpaState) takePending(recommender, key string, now time.Time) pendingWrite {
	pw := pendingWrite{meta: checkpointMeta{Recommender: recommender, VPA: key, UID: s.uid, Written: now.UTC(),
		Seen: maps.Clone(s.seen), OOMSeen: maps.Clone(s.oomSeen), Slots: maps.Clone(s.slots)}, fresh: map[string][]taggedSample{}}
	for _, name := range sortedKeys(s.containers) {
		cs := s.containers[name]
		cm := containerMeta{Name: name, First: cs.first, Last: cs.last, Total: cs.samples}
		for _, o := range cs.ooms {
			cm.OOMs = append(cm.OOMs, OOM{Time: o.e.Time, MemoryRequestBytes: o.e.MemoryRequestBytes, MemoryUsageBytes: o.e.MemoryUsageBytes,
				Slot: o.tag.slot(), Start: o.tag.start()})
		}
		pw.meta.Containers = append(pw.meta.Containers, cm)
		smps := make([]taggedSample, 0, cs.pending.Len())
		for tag, smp := range cs.pending.Tagged() {
			smps = append(smps, taggedSample{tag, smp})
		}
		pw.fresh[name] = smps
	}
	return pw
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// restoreState replays a checkpoint's journals into fresh recommenders.
func (c *Controller) restoreState(f *journalFile) (*vpaState, error) {
	m := f.meta
	s := newVPAState(m.UID)
	maps.Copy(s.seen, m.Seen)
	maps.Copy(s.oomSeen, m.OOMSeen)
	maps.Copy(s.slots, m.Slots)
	for _, cm := range m.Containers {
		cs, err := c.newContainer(len(m.Containers))
		if err != nil {
			return nil, err
		}
		oom := func(o OOM) {
			cs.addOOM(makeTag(o.Slot, o.Start), model.OOMEvent{Time: o.Time, MemoryRequestBytes: o.MemoryRequestBytes, MemoryUsageBytes: o.MemoryUsageBytes})
		}
		oi := 0
		j := f.journals[cm.Name]
		if j == nil {
			j = newJournal(c.cfg.MaxJournal)
		}
		for tag, smp := range j.Tagged() {
			for oi < len(cm.OOMs) && !cm.OOMs[oi].Time.After(smp.Time) {
				oom(cm.OOMs[oi])
				oi++
			}
			cs.feed(tag, smp)
		}
		for ; oi < len(cm.OOMs); oi++ {
			oom(cm.OOMs[oi])
		}
		// The pods in their slots, so their next samples continue their
		// windows rather than start new ones.
		for pod, slot := range m.Slots {
			cs.tagFor(pod, slot)
		}
		cs.journaled = j.Len()
		if c.UpstreamCheckpoints() {
			cs.restored = j // for RestoreUpstream's replay, dropped after it
		}
		// The whole history's bounds, beyond the journal.
		if cm.Total > cs.samples {
			cs.samples = cm.Total
		}
		if !cm.First.IsZero() && (cs.first.IsZero() || cm.First.Before(cs.first)) {
			cs.first = cm.First
		}
		s.containers[cm.Name] = cs
	}
	return s, nil
}

// Restore reads the checkpoint ConfigMaps (one list call) and replays those
// whose VPA still exists with the same UID and recommender. It returns the
// number of VPAs restored.
func (c *Controller) Restore(ctx context.Context) (int, error) {
	if c.cfg.CheckpointNamespace == "" {
		return 0, nil
	}
	vpas := map[string]*VPA{}
	for _, v := range c.ourVPAs() {
		vpas[v.Key()] = v
	}
	n := 0
	var errs []error
	// In pages: 1,000 checkpoints of 8 days are tens of MB at once.
	opts := metav1.ListOptions{LabelSelector: CheckpointLabel, Limit: 50}
	for {
		list, err := c.cl.Kube.CoreV1().ConfigMaps(c.cfg.CheckpointNamespace).List(ctx, opts)
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("list checkpoint configmaps in %s: %w", c.cfg.CheckpointNamespace, err))...)
		}
		n += c.restorePage(ctx, list.Items, vpas, &errs)
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	c.restoredFrom = n
	return n, errors.Join(errs...)
}

// restorePage restores the checkpoints of one page and returns how many.
func (c *Controller) restorePage(ctx context.Context, items []corev1.ConfigMap, vpas map[string]*VPA, errs *[]error) int {
	n := 0
	for i := range items {
		cm := &items[i]
		f, err := readJournalFile(cm, c.cfg.MaxJournal)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("configmap %s/%s: %w", cm.Namespace, cm.Name, err))
			continue
		}
		v := vpas[f.meta.VPA]
		if v == nil && !c.vpaExists(f.meta.VPA) {
			// The VPA is gone: so is its checkpoint. (One that names another
			// recommender now is left: another serve may own it.)
			c.log.Info("delete checkpoint of a VPA that is gone", "configmap", cm.Name, "vpa", f.meta.VPA)
			if err := c.cl.Kube.CoreV1().ConfigMaps(cm.Namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				*errs = append(*errs, fmt.Errorf("delete configmap %s/%s: %w", cm.Namespace, cm.Name, err))
			}
			continue
		}
		if v == nil || v.UID != f.meta.UID || f.meta.Recommender != c.cfg.Recommender {
			c.log.Info("skip checkpoint", "configmap", cm.Name, "vpa", f.meta.VPA, "recommender", f.meta.Recommender)
			continue
		}
		s, err := c.restoreState(f)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		c.mu.Lock()
		c.states[f.meta.VPA] = s
		c.mu.Unlock()
		n++
	}
	return n
}

// WriteCheckpoints writes the ConfigMap of every VPA whose state changed
// since its last checkpoint, and deletes the ConfigMaps of VPAs that are
// gone. It returns the number written.
func (c *Controller) WriteCheckpoints(ctx context.Context) (int, error) {
	written, err := c.writeCheckpoints(ctx, func(string) bool { return true })
	return written, errors.Join(err, c.collectCheckpoints(ctx))
}

// vpaExists reports whether the informer holds VPA key (naming any
// recommender).
func (c *Controller) vpaExists(key string) bool {
	_, ok, err := c.vpaInf.GetStore().GetByKey(key)
	return ok || err != nil || !c.vpaInf.HasSynced()
}

// collectCheckpoints deletes the checkpoint ConfigMaps of the VPAs whose
// state a pass dropped (Restore deletes those of VPAs gone while serve was
// away), so no ConfigMap is listed while serve runs.
func (c *Controller) collectCheckpoints(ctx context.Context) error {
	if c.cfg.CheckpointNamespace == "" {
		return nil
	}
	c.mu.Lock()
	var keys []string
	for k := range c.gone {
		if c.states[k] == nil && !c.vpaExists(k) { // not back since
			keys = append(keys, k)
		}
	}
	clear(c.gone)
	c.mu.Unlock()
	sort.Strings(keys)
	var errs []error
	cms := c.cl.Kube.CoreV1().ConfigMaps(c.cfg.CheckpointNamespace)
	for _, k := range keys {
		ns, name := splitKey(k)
		if err := cms.Delete(ctx, CheckpointName(ns, name), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete checkpoint of %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// writeCheckpoints writes the checkpoints of the dirty VPAs whose key
// passes pick, one VPA at a time (each write holds that VPA's journal only).
func (c *Controller) writeCheckpoints(ctx context.Context, pick func(key string) bool) (int, error) {
	if c.cfg.CheckpointNamespace == "" {
		return 0, nil
	}
	now := c.cfg.Clock()
	var keys []string
	c.mu.Lock()
	for k, s := range c.states {
		if s.dirty && pick(k) {
			keys = append(keys, k)
		}
	}
	c.mu.Unlock()
	sort.Strings(keys)
	written := 0
	var errs []error
	for _, key := range keys {
		ok, err := c.writeCheckpoint(ctx, key, now)
		if err != nil {
			c.markDirty(key)
			errs = append(errs, fmt.Errorf("write checkpoint of %s: %w", key, err))
			continue
		}
		if ok {
			written++
			c.m.Checkpoints.Inc()
		}
	}
	return written, errors.Join(errs...)
}

// writeCheckpoint appends a VPA's unwritten samples to the journal in its
// ConfigMap (read, append, update with the resourceVersion read) and, once
// written, drops them from memory. It returns false when there was nothing
// to write.
func (c *Controller) writeCheckpoint(ctx context.Context, key string, now time.Time) (bool, error) {
	c.mu.Lock()
	s := c.states[key]
	if s == nil || !s.dirty {
		c.mu.Unlock()
		return false, nil
	}
	pw := s.takePending(c.cfg.Recommender, key, now)
	s.dirty = false
	c.mu.Unlock()

	ns, name := splitKey(key)
	cms := c.cl.Kube.CoreV1().ConfigMaps(c.cfg.CheckpointNamespace)
	cm, err := cms.Get(ctx, CheckpointName(ns, name), metav1.GetOptions{})
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("read configmap: %w", err)
	}
	f := &journalFile{}
	if exists {
		old, err := readJournalFile(cm, c.cfg.MaxJournal)
		switch {
		case err != nil:
			c.log.Warn("checkpoint unreadable: starting its journal again", "configmap", cm.Name, "vpa", key, "err", err)
		case old.meta.UID != pw.meta.UID || old.meta.Recommender != pw.meta.Recommender:
			c.log.Info("checkpoint of an earlier VPA or another recommender: starting its journal again", "configmap", cm.Name, "vpa", key,
				"uid", old.meta.UID, "recommender", old.meta.Recommender)
		default:
			f = old
		}
	}
	f.merge(pw.meta, pw.fresh, c.cfg.MaxJournal)
	data, err := f.fit(maxCheckpointBytes)
	if err != nil {
		return false, err
	}
	out := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: CheckpointName(ns, name), Namespace: c.cfg.CheckpointNamespace,
			Labels:      map[string]string{CheckpointLabel: fmt.Sprint(CheckpointVersion), "app.kubernetes.io/managed-by": "smartvpa"},
			Annotations: map[string]string{annotVPA: key}},
		BinaryData: map[string][]byte{JournalKey: data},
	}
	if exists {
		out.ResourceVersion = cm.ResourceVersion
		_, err = cms.Update(ctx, out, metav1.UpdateOptions{FieldManager: "smartvpa"})
	} else {
		_, err = cms.Create(ctx, out, metav1.CreateOptions{FieldManager: "smartvpa"})
	}
	if err != nil {
		return false, err
	}
	// Written: those samples leave memory (samples fed meanwhile stay).
	c.mu.Lock()
	defer c.mu.Unlock()
	if s2 := c.states[key]; s2 == s {
		for name, smps := range pw.fresh {
			if cs := s.containers[name]; cs != nil {
				cs.pending = cs.pending.after(len(smps))
				cs.journaled = f.journals[name].Len()
			}
		}
	}
	return true, nil
}

func (c *Controller) markDirty(key string) {
	c.mu.Lock()
	if s := c.states[key]; s != nil {
		s.dirty = true
	}
	c.mu.Unlock()
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '/' {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}
