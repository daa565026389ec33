package operator

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// smartvpa-ckpt-<hash of namespace/name>, labelled CheckpointLabel, holding
// binaryData[CheckpointKey]: gzip of the JSON Checkpoint below. Version says
// which shape; readers refuse versions they do not know.
const (
	CheckpointLabel   = "smartvpa.io/checkpoint"
	CheckpointKey     = "state.json.gz"
	CheckpointVersion = 1
	annotVPA          = "smartvpa.io/vpa"
)

// Checkpoint is the versioned state of one VPA.
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
}

// CheckpointName is the ConfigMap name of VPA namespace/name.
func CheckpointName(namespace, name string) string {
	h := sha256.Sum256([]byte(namespace + "/" + name))
	return "smartvpa-ckpt-" + hex.EncodeToString(h[:8])
}

// snapshot returns the checkpoint of a VPA's state (called with c.mu held).
func (s *vpaState) snapshot(recommender, key string, now time.Time) *Checkpoint {
	ck := &Checkpoint{Version: CheckpointVersion, Recommender: recommender, VPA: key, UID: s.uid, Written: now.UTC(),
		Containers: map[string]ContainerCheckpoint{}, Seen: map[string]time.Time{}, OOMSeen: map[string]time.Time{}}
	for k, t := range s.seen {
		ck.Seen[k] = t
	}
	for k, t := range s.oomSeen {
		ck.OOMSeen[k] = t
	}
	for name, cs := range s.containers {
		cc := ContainerCheckpoint{First: cs.first, Last: cs.last, Total: cs.samples}
		cc.Samples = make([][3]float64, 0, cs.journal.Len())
		for smp := range cs.journal.All() {
			if len(cc.Samples) == 0 {
				cc.Start = smp.Time.UnixNano()
			}
			cc.Samples = append(cc.Samples, [3]float64{float64(smp.Time.UnixNano() - cc.Start), smp.CPUMillicores, smp.MemoryBytes})
		}
		for _, o := range cs.ooms {
			cc.OOMs = append(cc.OOMs, OOM{Time: o.Time, MemoryRequestBytes: o.MemoryRequestBytes, MemoryUsageBytes: o.MemoryUsageBytes})
		}
		ck.Containers[name] = cc
	}
	return ck
}

// EncodeCheckpoint returns the gzip of the checkpoint's JSON.
func EncodeCheckpoint(ck *Checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(ck); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeCheckpoint reads what EncodeCheckpoint wrote.
func DecodeCheckpoint(data []byte) (*Checkpoint, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("checkpoint is not gzip: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ck Checkpoint
	if err := json.Unmarshal(raw, &ck); err != nil {
		return nil, fmt.Errorf("checkpoint JSON: %w", err)
	}
	if ck.Version != CheckpointVersion {
		return nil, fmt.Errorf("checkpoint version %d is not supported (this serve reads version %d)", ck.Version, CheckpointVersion)
	}
	return &ck, nil
}

// restoreState replays a checkpoint into fresh recommenders.
func (c *Controller) restoreState(ck *Checkpoint) (*vpaState, error) {
	s := &vpaState{uid: ck.UID, containers: map[string]*containerState{}, seen: map[string]time.Time{}, oomSeen: map[string]time.Time{}}
	for k, t := range ck.Seen {
		s.seen[k] = t
	}
	for k, t := range ck.OOMSeen {
		s.oomSeen[k] = t
	}
	names := make([]string, 0, len(ck.Containers))
	for n := range ck.Containers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		cc := ck.Containers[name]
		cs, err := c.newContainer()
		if err != nil {
			return nil, err
		}
		oi := 0
		for _, x := range cc.Samples {
			t := time.Unix(0, cc.Start+int64(x[0])).UTC()
			for oi < len(cc.OOMs) && !cc.OOMs[oi].Time.After(t) {
				cs.addOOM(model.OOMEvent{Time: cc.OOMs[oi].Time, MemoryRequestBytes: cc.OOMs[oi].MemoryRequestBytes, MemoryUsageBytes: cc.OOMs[oi].MemoryUsageBytes})
				oi++
			}
			cs.add(model.Sample{Time: t, CPUMillicores: x[1], MemoryBytes: x[2]})
		}
		for ; oi < len(cc.OOMs); oi++ {
			cs.addOOM(model.OOMEvent{Time: cc.OOMs[oi].Time, MemoryRequestBytes: cc.OOMs[oi].MemoryRequestBytes, MemoryUsageBytes: cc.OOMs[oi].MemoryUsageBytes})
		}
		// The whole history's bounds, beyond the journal.
		if cc.Total > cs.samples {
			cs.samples = cc.Total
		}
		if !cc.First.IsZero() && (cs.first.IsZero() || cc.First.Before(cs.first)) {
			cs.first = cc.First
		}
		s.containers[name] = cs
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
		n += c.restorePage(list.Items, vpas, &errs)
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	c.restoredFrom = n
	return n, errors.Join(errs...)
}

// restorePage restores the checkpoints of one page and returns how many.
func (c *Controller) restorePage(items []corev1.ConfigMap, vpas map[string]*VPA, errs *[]error) int {
	n := 0
	for i := range items {
		cm := &items[i]
		ck, err := DecodeCheckpoint(cm.BinaryData[CheckpointKey])
		if err != nil {
			*errs = append(*errs, fmt.Errorf("configmap %s/%s: %w", cm.Namespace, cm.Name, err))
			continue
		}
		v := vpas[ck.VPA]
		if v == nil || v.UID != ck.UID || ck.Recommender != c.cfg.Recommender {
			c.log.Info("skip checkpoint", "configmap", cm.Name, "vpa", ck.VPA, "recommender", ck.Recommender)
			continue
		}
		s, err := c.restoreState(ck)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		c.mu.Lock()
		c.states[ck.VPA] = s
		c.mu.Unlock()
		n++
	}
	return n
}

// WriteCheckpoints writes the ConfigMap of every VPA whose state changed
// since its last checkpoint, and deletes the ConfigMaps of VPAs that are
// gone. It returns the number written.
func (c *Controller) WriteCheckpoints(ctx context.Context) (int, error) {
	if c.cfg.CheckpointNamespace == "" {
		return 0, nil
	}
	now := c.cfg.Clock()
	// One VPA at a time: a snapshot expands the journal (24 bytes a sample),
	// so snapshotting every VPA first would hold them all at once.
	var keys []string
	c.mu.Lock()
	for k, s := range c.states {
		if s.dirty {
			keys = append(keys, k)
		}
	}
	c.mu.Unlock()
	sort.Strings(keys)
	cms := c.cl.Kube.CoreV1().ConfigMaps(c.cfg.CheckpointNamespace)
	written := 0
	var errs []error
	for _, key := range keys {
		c.mu.Lock()
		s := c.states[key]
		if s == nil || !s.dirty {
			c.mu.Unlock()
			continue
		}
		ck := s.snapshot(c.cfg.Recommender, key, now)
		s.dirty = false
		c.mu.Unlock()
		data, err := EncodeCheckpoint(ck)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ns, name := splitKey(key)
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: CheckpointName(ns, name), Namespace: c.cfg.CheckpointNamespace,
				Labels:      map[string]string{CheckpointLabel: fmt.Sprint(CheckpointVersion), "app.kubernetes.io/managed-by": "smartvpa"},
				Annotations: map[string]string{annotVPA: key}},
			BinaryData: map[string][]byte{CheckpointKey: data},
		}
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "smartvpa"})
		if apierrors.IsNotFound(err) {
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: "smartvpa"})
		}
		if err != nil {
			c.markDirty(key)
			errs = append(errs, fmt.Errorf("write checkpoint of %s: %w", key, err))
			continue
		}
		written++
		c.m.Checkpoints.Inc()
	}
	// Garbage: checkpoints of VPAs no longer in the cache (listed in pages,
	// as Restore does).
	live := map[string]bool{}
	for _, v := range c.ourVPAs() {
		live[CheckpointName(v.Namespace, v.Name)] = true
	}
	opts := metav1.ListOptions{LabelSelector: CheckpointLabel, Limit: 50}
	for {
		list, err := cms.List(ctx, opts)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for i := range list.Items {
			if cm := &list.Items[i]; !live[cm.Name] && c.vpaInf.HasSynced() {
				if err := cms.Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	return written, errors.Join(errs...)
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
