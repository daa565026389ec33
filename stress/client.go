package stress

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// Client talks to a utilisation server.
type Client struct {
	// BaseURL is the server's address, e.g. http://127.0.0.1:8090.
	BaseURL string
	// Token is the bearer token ("" for none).
	Token string
	// HTTP is the client to use (http.DefaultClient when nil). Connect
	// streams stay open: do not give it a short overall Timeout.
	HTTP *http.Client
}

// StatusError is a non-2xx answer of the server.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("utilisation server: %d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close() //nolint:errcheck // read or abandoned: closing a response body reports nothing to act on
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body) // drained for the connection's reuse only
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("utilisation server: %s %s: bad answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close() //nolint:errcheck // read or abandoned: closing a response body reports nothing to act on
		var e APIError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return nil, &StatusError{Code: resp.StatusCode, Message: e.Error}
	}
	return resp, nil
}

// UploadTrace uploads a trace inline (step 1).
func (c *Client) UploadTrace(ctx context.Context, t *workloads.Trace) (WorkloadInfo, error) {
	up := WorkloadUpload{ID: t.ID, IntervalSeconds: t.Meta.Interval.Seconds(), Samples: make([]Sample, t.Len())}
	for i := range up.Samples {
		up.Samples[i] = Sample{Time: t.Times[i], CPUMillicores: t.CPUMillicores[i], MemoryBytes: t.MemoryBytes[i]}
	}
	var info WorkloadInfo
	err := c.do(ctx, http.MethodPost, "/v1/workloads", up, &info)
	return info, err
}

// UploadStored asks the server to load workload id from its store (step 1).
func (c *Client) UploadStored(ctx context.Context, id string) (WorkloadInfo, error) {
	var info WorkloadInfo
	err := c.do(ctx, http.MethodPost, "/v1/workloads", WorkloadUpload{ID: id}, &info)
	return info, err
}

// Register registers a pod (step 2).
func (c *Client) Register(ctx context.Context, reg PodRegistration) (PodInfo, error) {
	var info PodInfo
	err := c.do(ctx, http.MethodPost, "/v1/pods", reg, &info)
	return info, err
}

// Pod returns what the server knows of a pod.
func (c *Client) Pod(ctx context.Context, pod string) (PodInfo, error) {
	var info PodInfo
	err := c.do(ctx, http.MethodGet, "/v1/pods/"+url.PathEscape(pod), nil, &info)
	return info, err
}

// Target returns a connected pod's current target.
func (c *Client) Target(ctx context.Context, pod string) (Target, error) {
	var t Target
	err := c.do(ctx, http.MethodGet, "/v1/pods/"+url.PathEscape(pod)+"/target", nil, &t)
	return t, err
}

// Report sends the usage the pod measured.
func (c *Client) Report(ctx context.Context, pod string, r Report) error {
	return c.do(ctx, http.MethodPost, "/v1/pods/"+url.PathEscape(pod)+"/report", r, nil)
}

// Connect opens the pod's target stream (steps 3 and 4) and calls fn with
// each target until the stream ends, ctx is done or fn returns an error. It
// returns nil when the server ended the stream after a Done target.
func (c *Client) Connect(ctx context.Context, pod string, fn func(Target) error) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/pods/"+url.PathEscape(pod)+"/connect", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close() //nolint:errcheck // read or abandoned: closing a response body reports nothing to act on
	err = readTargets(resp.Body, fn)
	if errors.Is(err, io.ErrUnexpectedEOF) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// maxTargetLine bounds one line of a target stream.
const maxTargetLine = 1 << 20

// readTargets calls fn for every target of a connect stream, one JSON
// object per line, until a target is Done (nil), fn fails, or the stream
// ends (io.ErrUnexpectedEOF) or breaks. A line that is not a target, or a
// target with negative usage, is an error: fn only ever sees usage an agent
// can produce.
func readTargets(r io.Reader, fn func(Target) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxTargetLine)
	for sc.Scan() {
		var t Target
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return fmt.Errorf("utilisation server: bad target line: %w", err)
		}
		if t.CPUMillicores < 0 || t.MemoryBytes < 0 {
			return fmt.Errorf("utilisation server: bad target line: negative usage (cpu %gm, memory %g bytes)", t.CPUMillicores, t.MemoryBytes)
		}
		if err := fn(t); err != nil {
			return err
		}
		if t.Done {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// WaitHealthy polls /healthz until it answers or ctx is done.
func (c *Client) WaitHealthy(ctx context.Context) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := c.http().Do(req)
		if err == nil {
			_ = resp.Body.Close() // only the status matters here
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("utilisation server %s not healthy: %w", c.BaseURL, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
