package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
)

// statusFor builds the status (recommendation and conditions) for v.
func (c *Controller) statusFor(v *VPA, recs map[string]model.Recommendation, low []string, merr, terr error, now time.Time) map[string]any {
	var conds []map[string]any
	cond := func(typ string, ok bool, reason, msg string) {
		s := "False"
		if ok {
			s = "True"
		}
		conds = append(conds, map[string]any{"type": typ, "status": s, "reason": reason, "message": msg})
	}
	switch {
	case terr != nil:
		cond(CondRecommendationProvided, false, "TargetNotResolved", terr.Error())
	case len(recs) > 0:
		cond(CondRecommendationProvided, true, "RecommendationProvided",
			fmt.Sprintf("%d container(s) recommended by smartvpa (%s)", len(recs), c.cfg.Recommender))
	case merr != nil:
		cond(CondRecommendationProvided, false, "MetricsUnavailable", "no usage yet: "+merr.Error())
	default:
		cond(CondRecommendationProvided, false, "NotEnoughData", "no usage sample yet for the target's containers")
	}
	if len(recs) > 0 {
		if len(low) > 0 {
			cond(CondLowConfidence, true, "ShortHistory", fmt.Sprintf("less than %s of history: %s", c.cfg.LowConfidenceSpan, joinMax(low, 5)))
		} else {
			cond(CondLowConfidence, false, "EnoughHistory", fmt.Sprintf("every container has at least %s of history", c.cfg.LowConfidenceSpan))
		}
	}
	if merr != nil {
		cond(CondMetricsAvailable, false, "MetricsAPIError", merr.Error())
	} else {
		cond(CondMetricsAvailable, true, "MetricsAPIAvailable", "metrics.k8s.io answered the last read")
	}
	st := map[string]any{"conditions": conds}
	if len(recs) > 0 {
		st["recommendation"] = map[string]any{"containerRecommendations": RecommendationStatus(recs)}
	} else {
		st["recommendation"] = nil
	}
	return st
}

func joinMax(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			out += fmt.Sprintf(", and %d more", len(s)-n)
			break
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// writeStatus patches the VPA's status subresource when the recommendation
// or a condition changed. lastTransitionTime is kept for conditions whose
// status did not change.
func (c *Controller) writeStatus(ctx context.Context, v *VPA, st map[string]any) (bool, error) {
	obj, ok, err := c.vpaInf.GetStore().GetByKey(v.Key())
	if err != nil || !ok {
		return false, err
	}
	cur := obj.(*unstructured.Unstructured)
	now := metav1.NewTime(c.cfg.Clock()).UTC().Format(time.RFC3339)
	curConds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
	byType := map[string]map[string]any{}
	for _, x := range curConds {
		if m, ok := x.(map[string]any); ok {
			t, _ := m["type"].(string)
			byType[t] = m
		}
	}
	newConds := st["conditions"].([]map[string]any)
	changed := false
	var conds []any
	for _, nc := range newConds {
		old := byType[nc["type"].(string)]
		nc["lastTransitionTime"] = now
		if old != nil && old["status"] == nc["status"] {
			if lt, ok := old["lastTransitionTime"]; ok {
				nc["lastTransitionTime"] = lt
			}
		}
		if old == nil || old["status"] != nc["status"] || old["reason"] != nc["reason"] || old["message"] != nc["message"] {
			changed = true
		}
		conds = append(conds, nc)
	}
	// Conditions of other writers (types we do not set) are kept.
	for t, m := range byType {
		mine := false
		for _, nc := range newConds {
			mine = mine || nc["type"] == t
		}
		if !mine {
			conds = append(conds, m)
		}
	}
	sort.SliceStable(conds, func(i, j int) bool {
		return conds[i].(map[string]any)["type"].(string) < conds[j].(map[string]any)["type"].(string)
	})
	// The cache keeps a digest of the recommendation (trimVPA).
	curRec, ok, _ := unstructured.NestedString(cur.Object, "status", recDigestKey)
	if !ok {
		curRec = jsonDigest(nil)
	}
	if curRec != jsonDigest(st["recommendation"]) {
		changed = true
	}
	if !changed {
		return false, nil
	}
	body := map[string]any{"status": map[string]any{"recommendation": st["recommendation"], "conditions": conds}}
	data, err := json.Marshal(body)
	if err != nil {
		return false, err
	}
	_, err = c.cl.Dynamic.Resource(kube.VPAResource).Namespace(v.Namespace).Patch(ctx, v.Name, types.MergePatchType, data,
		metav1.PatchOptions{FieldManager: kube.FieldManager}, "status")
	if err != nil {
		c.m.Errors.WithLabelValues("status_update").Inc()
		c.log.Warn("write status", "vpa", v.Key(), "err", err)
		return false, fmt.Errorf("patch status of verticalpodautoscaler %s: %w", v.Key(), err)
	}
	c.m.StatusUpdates.Inc()
	return true, nil
}

// statusQueue holds the statuses a pass computed until the writers patch
// them: one entry per VPA, the latest status winning, in the order VPAs were
// first queued. A backlog (writes slower than passes, e.g. the client's QPS
// limit) never grows beyond one write per VPA, and a pass never waits for the
// API server.
type statusQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending map[string]statusJob
	order   []string
	busy    int
	closed  bool
	written int
	errs    int
}

type statusJob struct {
	v  *VPA
	st map[string]any
}

func newStatusQueue() *statusQueue {
	q := &statusQueue{pending: map[string]statusJob{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// put queues v's status, replacing one still waiting for the same VPA.
func (q *statusQueue) put(v *VPA, st map[string]any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if _, ok := q.pending[v.Key()]; !ok {
		q.order = append(q.order, v.Key())
	}
	q.pending[v.Key()] = statusJob{v, st}
	q.cond.Signal()
}

// take waits for a queued status; ok is false once the queue is closed.
func (q *statusQueue) take() (statusJob, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return statusJob{}, false
	}
	k := q.order[0]
	q.order = q.order[1:]
	j := q.pending[k]
	delete(q.pending, k)
	q.busy++
	return j, true
}

func (q *statusQueue) done(wrote bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy--
	switch {
	case err != nil:
		q.errs++
	case wrote:
		q.written++
	}
	q.cond.Broadcast()
}

func (q *statusQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.pending, q.order = map[string]statusJob{}, nil
	q.cond.Broadcast()
}

// Len returns the statuses queued and being written.
func (q *statusQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order) + q.busy
}

// WriteResult counts the status writes since the last Flush.
type WriteResult struct {
	StatusUpdates int // patches sent (statuses that changed)
	Errors        int
}

// runWriters drains the status queue with Config.Workers writers until ctx
// ends.
func (c *Controller) runWriters(ctx context.Context) {
	go func() {
		<-ctx.Done()
		c.writes.close()
	}()
	for range c.cfg.Workers {
		go func() {
			for {
				j, ok := c.writes.take()
				if !ok {
					return
				}
				wrote, err := c.writeStatus(ctx, j.v, j.st)
				c.writes.done(wrote, err)
			}
		}()
	}
}

// Flush waits until every queued status is written (or the writers stopped)
// and returns the writes since the last Flush.
func (c *Controller) Flush() WriteResult {
	q := c.writes
	q.mu.Lock()
	defer q.mu.Unlock()
	for (len(q.order) > 0 || q.busy > 0) && !q.closed {
		q.cond.Wait()
	}
	r := WriteResult{StatusUpdates: q.written, Errors: q.errs}
	q.written, q.errs = 0, 0
	return r
}
