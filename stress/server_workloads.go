package stress

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// The server's workload endpoints: upload, list, get and delete, and the
// bounds on what it holds.

func (s *Server) uploadWorkload(w http.ResponseWriter, r *http.Request) {
	var up WorkloadUpload
	if !s.decode(w, r, &up) {
		return
	}
	if err := workloads.ValidateID(up.ID); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	var tr *workloads.Trace
	source := "inline"
	if len(up.Samples) == 0 {
		if s.cfg.Store == nil {
			s.fail(w, r, http.StatusBadRequest, "this server has no workload store: upload the samples inline")
			return
		}
		t, err := s.cfg.Store.Load(up.ID)
		if err != nil {
			code := http.StatusUnprocessableEntity
			if strings.Contains(err.Error(), "not found") {
				code = http.StatusNotFound
			}
			s.fail(w, r, code, err.Error())
			return
		}
		tr, source = t, "store"
	} else {
		if math.IsNaN(up.IntervalSeconds) || up.IntervalSeconds < 0 || up.IntervalSeconds > 366*86400 {
			s.fail(w, r, http.StatusBadRequest, "intervalSeconds must be a positive number of seconds (or left out)")
			return
		}
		tr = &workloads.Trace{ID: up.ID}
		for i, smp := range up.Samples {
			if smp.Time.IsZero() {
				s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("sample %d has no time: give every sample an RFC 3339 \"time\"", i))
				return
			}
			tr.Append(smp.Time, smp.CPUMillicores, smp.MemoryBytes)
		}
		tr.Meta.Interval = time.Duration(up.IntervalSeconds * float64(time.Second))
	}
	info, err := s.add(tr, source)
	if err != nil {
		code := http.StatusBadRequest
		switch {
		case errors.Is(err, errTooLarge):
			code = http.StatusRequestEntityTooLarge
		case errors.Is(err, errFull):
			code = http.StatusTooManyRequests
		}
		s.fail(w, r, code, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

// Errors of add beyond the server's bounds.
var (
	errTooLarge = errors.New("workload larger than the server holds")
	errFull     = errors.New("server full")
)

// add validates a trace against the bounds and stores it.
func (s *Server) add(tr *workloads.Trace, source string) (WorkloadInfo, error) {
	for i := range tr.Len() {
		if err := s.checkUsage(tr.CPUMillicores[i], tr.MemoryBytes[i]); err != nil {
			return WorkloadInfo{}, fmt.Errorf("workload %s sample %d: %w", tr.ID, i, err)
		}
	}
	if err := tr.Validate(); err != nil {
		return WorkloadInfo{}, fmt.Errorf("workload %s: %w", tr.ID, err)
	}
	size := int64(tr.Len()) * bytesPerSample
	if size > s.cfg.MaxWorkloadBytes {
		return WorkloadInfo{}, fmt.Errorf("workload %s holds %d samples (%d bytes), more than the server holds in all (%d bytes): cut it shorter or raise the server's --max-workload-bytes: %w",
			tr.ID, tr.Len(), size, s.cfg.MaxWorkloadBytes, errTooLarge)
	}
	sw := newServerWorkload(tr, source)
	s.mu.Lock()
	defer s.mu.Unlock()
	n, held := len(s.workloads), int64(0)
	for id, o := range s.workloads {
		if id == tr.ID {
			n-- // replaced
			continue
		}
		held += int64(len(o.times)) * bytesPerSample
	}
	if n+1 > s.cfg.MaxWorkloads || held+size > s.cfg.MaxWorkloadBytes {
		return WorkloadInfo{}, fmt.Errorf("the server holds %d workloads of %d bytes, and workload %s (%d bytes) would pass its bounds (%d workloads, %d bytes): delete workloads first (DELETE /v1/workloads/ID) or raise --max-workloads/--max-workload-bytes: %w",
			n, held, tr.ID, size, s.cfg.MaxWorkloads, s.cfg.MaxWorkloadBytes, errFull)
	}
	s.workloads[tr.ID] = sw
	return sw.info, nil
}

// Preload loads workload id from the store, as POST /v1/workloads {"id": id}
// does.
func (s *Server) Preload(id string) (WorkloadInfo, error) {
	if s.cfg.Store == nil {
		return WorkloadInfo{}, errors.New("this server has no workload store")
	}
	tr, err := s.cfg.Store.Load(id)
	if err != nil {
		return WorkloadInfo{}, err
	}
	return s.add(tr, "store")
}

func newServerWorkload(tr *workloads.Trace, source string) *serverWorkload {
	interval := tr.Meta.Interval
	if interval <= 0 {
		interval = tr.MedianInterval()
	}
	if interval <= 0 {
		interval = time.Minute
	}
	sw := &serverWorkload{started: tr.Start(), cpu: append([]float64(nil), tr.CPUMillicores...), mem: append([]float64(nil), tr.MemoryBytes...)}
	sw.times = make([]time.Duration, tr.Len())
	var maxCPU, maxMem float64
	for i, t := range tr.Times {
		sw.times[i] = t.Sub(tr.Start())
		maxCPU, maxMem = max(maxCPU, tr.CPUMillicores[i]), max(maxMem, tr.MemoryBytes[i])
	}
	sw.span = sw.times[len(sw.times)-1] + interval
	sw.info = WorkloadInfo{ID: tr.ID, Source: source, Samples: tr.Len(), IntervalSeconds: interval.Seconds(),
		Start: tr.Start().UTC(), End: tr.End().UTC(), MaxCPUMillicores: maxCPU, MaxMemoryBytes: maxMem}
	return sw
}

func (s *Server) listWorkloads(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]WorkloadInfo, 0, len(s.workloads))
	for _, sw := range s.workloads {
		out = append(out, sw.info)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, out)
}

func workloadNotFound(id string) string {
	return fmt.Sprintf("workload %q not found: upload it first with POST /v1/workloads", id)
}

func (s *Server) getWorkload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	sw, ok := s.workloads[id]
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, workloadNotFound(id))
		return
	}
	writeJSON(w, http.StatusOK, sw.info)
}

func (s *Server) deleteWorkload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.workloads[id]
	delete(s.workloads, id)
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, workloadNotFound(id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
