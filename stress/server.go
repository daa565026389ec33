package stress

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/workloads"
)

// Defaults of the utilisation server.
const (
	DefaultInterval         = 5 * time.Second
	DefaultMaxBodyBytes     = 16 << 20
	DefaultMaxCPUMillicores = 64000
	DefaultMaxMemoryBytes   = 256 * model.GiB
	DefaultPort             = 8090
	// DefaultMaxWorkloads and DefaultMaxWorkloadBytes bound what the server
	// holds: the number of workloads and their total size in memory, 24
	// bytes a sample (a 16 MiB upload holds about 350,000 samples, 8 MiB).
	DefaultMaxWorkloads     = 64
	DefaultMaxWorkloadBytes = 256 << 20
	// MaxSpeedup is the largest speed-up (a year of workload in 30 s).
	MaxSpeedup = 1e6
	// MaxOffsetSeconds is the largest offsetSeconds (a century).
	MaxOffsetSeconds = 100 * 365 * 86400
)

// bytesPerSample is what the server holds per sample of a workload.
const bytesPerSample = 24

// ServerConfig configures a Server.
type ServerConfig struct {
	// Store is where POST /v1/workloads {"id": ...} loads workloads from; nil
	// disables uploads by id.
	Store *workloads.Store
	// Interval is the wall time between two targets on a connect stream.
	Interval time.Duration
	// Speedup is the default speed-up of a pod that does not give one.
	Speedup float64
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes int64
	// MaxWorkloads and MaxWorkloadBytes bound the workloads held: an upload
	// beyond them gets 429 (delete workloads first), one larger than
	// MaxWorkloadBytes alone 413.
	MaxWorkloads     int
	MaxWorkloadBytes int64
	// MaxCPUMillicores and MaxMemoryBytes bound every usage value.
	MaxCPUMillicores float64
	MaxMemoryBytes   float64
	// Token, when set, is the bearer token every /v1 request must carry.
	Token string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives one line per rejected request (nothing when nil).
	Log io.Writer
}

// DefaultServerConfig returns the defaults.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		Interval: DefaultInterval, Speedup: 1, MaxBodyBytes: DefaultMaxBodyBytes,
		MaxCPUMillicores: DefaultMaxCPUMillicores, MaxMemoryBytes: DefaultMaxMemoryBytes,
		MaxWorkloads: DefaultMaxWorkloads, MaxWorkloadBytes: DefaultMaxWorkloadBytes,
	}
}

// Validate checks the configuration.
func (c *ServerConfig) Validate() error {
	switch {
	case c.Interval <= 0:
		return errors.New("interval must be positive, e.g. 5s")
	case !(c.Speedup > 0 && c.Speedup <= MaxSpeedup):
		return fmt.Errorf("speedup must be a positive number up to %g, e.g. 60", float64(MaxSpeedup))
	case c.MaxWorkloads < 0 || c.MaxWorkloadBytes < 0:
		return errors.New("maximum workloads and workload bytes must not be negative")
	case c.MaxBodyBytes <= 0:
		return errors.New("max body bytes must be positive")
	case !(c.MaxCPUMillicores > 0) || !(c.MaxMemoryBytes > 0):
		return errors.New("maximum cpu and memory must be positive")
	}
	return nil
}

// Server is the utilisation server: it holds uploaded workloads and
// registered pods and tells each connected pod what usage to produce. It is an
// http.Handler; all state is in memory.
type Server struct {
	cfg ServerConfig
	mux *http.ServeMux

	mu        sync.Mutex
	workloads map[string]*serverWorkload
	pods      map[string]*serverPod
}

type serverWorkload struct {
	info    WorkloadInfo
	times   []time.Duration // offsets from the first sample
	cpu     []float64
	mem     []float64
	span    time.Duration // last offset + one interval
	started time.Time
}

type serverPod struct {
	reg         PodRegistration
	registered  time.Time
	connectedAt time.Time
	streams     int
	lastReport  *Report
	lastTarget  *Target
}

// NewServer returns a server for cfg; zero fields take their defaults.
func NewServer(cfg ServerConfig) (*Server, error) {
	def := DefaultServerConfig()
	if cfg.Interval == 0 {
		cfg.Interval = def.Interval
	}
	if cfg.Speedup == 0 {
		cfg.Speedup = def.Speedup
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	if cfg.MaxWorkloads == 0 {
		cfg.MaxWorkloads = def.MaxWorkloads
	}
	if cfg.MaxWorkloadBytes == 0 {
		cfg.MaxWorkloadBytes = def.MaxWorkloadBytes
	}
	if cfg.MaxCPUMillicores == 0 {
		cfg.MaxCPUMillicores = def.MaxCPUMillicores
	}
	if cfg.MaxMemoryBytes == 0 {
		cfg.MaxMemoryBytes = def.MaxMemoryBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), workloads: map[string]*serverWorkload{}, pods: map[string]*serverPod{}}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.handle("POST /v1/workloads", s.uploadWorkload)
	s.handle("GET /v1/workloads", s.listWorkloads)
	s.handle("GET /v1/workloads/{id}", s.getWorkload)
	s.handle("DELETE /v1/workloads/{id}", s.deleteWorkload)
	s.handle("POST /v1/pods", s.registerPod)
	s.handle("GET /v1/pods", s.listPods)
	s.handle("GET /v1/pods/{pod}", s.getPod)
	s.handle("DELETE /v1/pods/{pod}", s.deletePod)
	s.handle("GET /v1/pods/{pod}/connect", s.connect)
	s.handle("GET /v1/pods/{pod}/target", s.target)
	s.handle("POST /v1/pods/{pod}/report", s.report)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s: see docs/stress-api.md for the API", r.Method, r.URL.Path))
	})
	return s, nil
}

// Config returns the effective configuration.
func (s *Server) Config() ServerConfig { return s.cfg }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers an authenticated /v1 endpoint.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="smartvpa-stress"`)
			s.fail(w, r, http.StatusUnauthorized, "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the server's --token")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		h(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "%s %s %s: %d %s\n", s.cfg.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path, code, msg)
	}
	writeJSON(w, code, APIError{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body strictly into v and answers the request itself
// when it fails (false).
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value in the body")
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes: send a smaller workload or raise the server's --max-body-bytes", tooBig.Limit))
	case errors.Is(err, io.EOF):
		s.fail(w, r, http.StatusBadRequest, "empty request body: send a JSON object (see docs/stress-api.md)")
	default:
		s.fail(w, r, http.StatusBadRequest, "invalid JSON body: "+err.Error())
	}
	return false
}

var podPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// checkUsage validates one usage pair against the bounds.
func (s *Server) checkUsage(cpu, mem float64) error {
	for _, v := range []struct {
		name     string
		val, max float64
	}{{"cpuMillicores", cpu, s.cfg.MaxCPUMillicores}, {"memoryBytes", mem, s.cfg.MaxMemoryBytes}} {
		switch {
		case math.IsNaN(v.val) || math.IsInf(v.val, 0):
			return fmt.Errorf("%s is not a finite number", v.name)
		case v.val < 0:
			return fmt.Errorf("%s is negative (%g): usage must be at least 0", v.name, v.val)
		case v.val > v.max:
			return fmt.Errorf("%s %g is above the server's maximum %g: scale the workload down or raise the server's maximum", v.name, v.val, v.max)
		}
	}
	return nil
}

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

func podNotFound(pod string) string {
	return fmt.Sprintf("pod %q is not registered: register it first with POST /v1/pods", pod)
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

// Serve answers requests on ln until ctx is done, then shuts down: open
// connect streams end at once, other requests get up to two seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-errc
	return nil
}

// IsLoopback reports whether a listen address (host:port) only accepts
// connections from this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
