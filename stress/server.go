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
		_, _ = io.WriteString(w, "ok\n") // the client went away: nothing to tell it
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
	_ = json.NewEncoder(w).Encode(v) // as above: the status is sent already
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
		_ = hs.Close() // the forced stop after a graceful one timed out
	}
	<-errc //nolint:errcheck // http.ErrServerClosed, as asked
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
