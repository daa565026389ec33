package stress

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"time"
)

// The server's pod endpoints: registration, list, get and delete, and the
// target stream each agent connects to (targets out, usage reports in).

var podPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

func podNotFound(pod string) string {
	return fmt.Sprintf("pod %q is not registered: register it first with POST /v1/pods", pod)
}

func (s *Server) registerPod(w http.ResponseWriter, r *http.Request) {
	var reg PodRegistration
	if !s.decode(w, r, &reg) {
		return
	}
	switch {
	case !podPattern.MatchString(reg.Pod):
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("invalid pod name %q: use a Kubernetes name (lower-case letters, digits, '-' and '.')", reg.Pod))
		return
	case reg.Service != "" && len(reg.Service) > 253:
		s.fail(w, r, http.StatusBadRequest, "service is longer than 253 characters")
		return
	case !(reg.Speedup >= 0 && reg.Speedup <= MaxSpeedup):
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("speedup must be a positive number up to %g (or left out for the server's %g)", float64(MaxSpeedup), s.cfg.Speedup))
		return
	case !(reg.OffsetSeconds >= 0 && reg.OffsetSeconds <= MaxOffsetSeconds):
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("offsetSeconds must be a number of seconds from 0 to %d (a century)", MaxOffsetSeconds))
		return
	}
	if reg.Speedup == 0 {
		reg.Speedup = s.cfg.Speedup
	}
	s.mu.Lock()
	if _, ok := s.workloads[reg.Workload]; !ok {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, workloadNotFound(reg.Workload))
		return
	}
	code := http.StatusCreated
	if old, ok := s.pods[reg.Pod]; ok && old.streams > 0 {
		code = http.StatusOK
	}
	p := &serverPod{reg: reg, registered: s.cfg.Now()}
	if old, ok := s.pods[reg.Pod]; ok {
		p.streams = old.streams // a connected agent keeps its stream and follows the new registration
	}
	s.pods[reg.Pod] = p
	info := p.info()
	s.mu.Unlock()
	writeJSON(w, code, info)
}

func (p *serverPod) info() PodInfo {
	return PodInfo{PodRegistration: p.reg, Registered: p.registered.UTC(), Connected: p.streams > 0,
		ConnectedAt: utcOrZero(p.connectedAt), LastReport: p.lastReport, LastTarget: p.lastTarget}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func (s *Server) listPods(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]PodInfo, 0, len(s.pods))
	for _, p := range s.pods {
		out = append(out, p.info())
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Pod < out[j].Pod })
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPod(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("pod")
	s.mu.Lock()
	p, ok := s.pods[name]
	var info PodInfo
	if ok {
		info = p.info()
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, podNotFound(name))
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) deletePod(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("pod")
	s.mu.Lock()
	_, ok := s.pods[name]
	delete(s.pods, name)
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, podNotFound(name))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// targetLocked computes pod p's target at now. The caller holds s.mu.
func (s *Server) targetLocked(p *serverPod, now time.Time) (Target, error) {
	sw, ok := s.workloads[p.reg.Workload]
	if !ok {
		return Target{}, errors.New(workloadNotFound(p.reg.Workload))
	}
	elapsed := max(now.Sub(p.connectedAt), 0)
	// In float seconds, then bounded: a long run at a high speed-up must
	// not wrap a time.Duration around (it replayed sample 0 for ever).
	offSec := p.reg.OffsetSeconds + elapsed.Seconds()*p.reg.Speedup
	if p.reg.Loop {
		offSec = math.Mod(offSec, sw.span.Seconds())
	}
	off := time.Duration(math.Min(offSec, float64(MaxOffsetSeconds*2)) * float64(time.Second))
	done := false
	if p.reg.Loop {
		off = min(off, sw.span-1)
	} else if offSec >= sw.span.Seconds()-s.cfg.Interval.Seconds()*p.reg.Speedup {
		// the next push would be past the end: this is the last target
		done = true
		off = min(off, sw.times[len(sw.times)-1])
	}
	i := sort.Search(len(sw.times), func(i int) bool { return sw.times[i] > off }) - 1
	i = max(i, 0)
	t := Target{
		Pod: p.reg.Pod, Workload: sw.info.ID, Time: now.UTC(), WorkloadTime: sw.started.Add(sw.times[i]).UTC(), Index: i,
		CPUMillicores: sw.cpu[i], MemoryBytes: sw.mem[i], IntervalSeconds: s.cfg.Interval.Seconds(), Done: done,
	}
	p.lastTarget = &t
	return t, nil
}

// connect is steps 3 and 4: the pod's agent opens a stream of targets, one
// JSON object per line, the first at once and one every interval after. The
// pod's clock starts at its first connection; a reconnection resumes it.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("pod")
	s.mu.Lock()
	p, ok := s.pods[name]
	if !ok {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, podNotFound(name))
		return
	}
	if p.connectedAt.IsZero() {
		p.connectedAt = s.cfg.Now()
	}
	first, err := s.targetLocked(p, s.cfg.Now())
	if err != nil {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	p.streams++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if cur, ok := s.pods[name]; ok && cur.streams > 0 {
			cur.streams--
		}
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	send := func(t Target) bool {
		if enc.Encode(t) != nil || rc.Flush() != nil {
			return false
		}
		return !t.Done
	}
	if !send(first) {
		return
	}
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		cur, ok := s.pods[name]
		var t Target
		if ok {
			t, err = s.targetLocked(cur, s.cfg.Now())
		}
		s.mu.Unlock()
		if !ok || err != nil {
			return // the pod or its workload was deleted: end the stream
		}
		if !send(t) {
			return
		}
	}
}

// target answers the current target of a connected pod.
func (s *Server) target(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("pod")
	s.mu.Lock()
	p, ok := s.pods[name]
	if !ok {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, podNotFound(name))
		return
	}
	if p.connectedAt.IsZero() {
		s.mu.Unlock()
		s.fail(w, r, http.StatusConflict, fmt.Sprintf("pod %q has not connected yet: its agent must open GET /v1/pods/%s/connect first", name, name))
		return
	}
	t, err := s.targetLocked(p, s.cfg.Now())
	s.mu.Unlock()
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// report records the usage a pod's agent measured.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("pod")
	var rep Report
	if !s.decode(w, r, &rep) {
		return
	}
	if err := s.checkUsage(rep.CPUMillicores, rep.MemoryBytes); err != nil {
		s.fail(w, r, http.StatusBadRequest, "report: "+err.Error())
		return
	}
	if err := s.checkUsage(rep.TargetCPUMillicores, rep.TargetMemoryBytes); err != nil {
		s.fail(w, r, http.StatusBadRequest, "report target: "+err.Error())
		return
	}
	if rep.Time.IsZero() {
		rep.Time = s.cfg.Now().UTC()
	}
	s.mu.Lock()
	p, ok := s.pods[name]
	if ok {
		p.lastReport = &rep
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, podNotFound(name))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
