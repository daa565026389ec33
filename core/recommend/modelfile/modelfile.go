// Package modelfile is the versioned on-disk format of trained recommender
// models (models/NAME.json): an envelope naming the format, its version, the
// recommender, the training seed and a hash of the training set, around the
// recommender's own parameters, with a checksum of those parameters so a
// corrupted file is refused rather than half-used.
//
// Default models are registered by the models package (which embeds
// models/*.json) through SetDefault; recommenders call Resolve with the path
// from recommend.Config.ModelFile and get the file's parameters, the default
// model's, or nil (use the built-in defaults) in that order.
package modelfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Format and Version identify the file format.
const (
	Format  = "smartvpa-model"
	Version = 1
)

// TrainingSet records what a model was trained on.
type TrainingSet struct {
	// Hash is "sha256:" and the hex SHA-256 of the training workloads' samples.
	Hash string `json:"hash"`
	// Workloads are the IDs of the training workloads, sorted.
	Workloads []string `json:"workloads"`
	// Validation are the IDs held out for validation, sorted.
	Validation []string `json:"validation,omitempty"`
}

// File is a model file.
type File struct {
	Format      string          `json:"format"`
	Version     int             `json:"version"`
	Recommender string          `json:"recommender"`
	Seed        int64           `json:"seed"`
	TrainingSet TrainingSet     `json:"trainingSet"`
	Metrics     map[string]any  `json:"metrics,omitempty"`
	Params      json.RawMessage `json:"params"`
	Checksum    string          `json:"checksum"`

	// name is the file's name in messages (set by Parse).
	name string
}

// New wraps params (marshalled to JSON) into a File.
func New(recommender string, seed int64, ts TrainingSet, params any) (*File, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("encode %s model parameters: %w", recommender, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, p, "  ", "  "); err != nil {
		return nil, err
	}
	f := &File{Format: Format, Version: Version, Recommender: recommender, Seed: seed, TrainingSet: ts, Params: buf.Bytes()}
	return f, nil
}

// The checksum is the SHA-256 of the file's bytes with the checksum's value
// left empty, so that any change to any byte of the file is detected.
const checksumKey = `"checksum": "`

func checksum(data []byte) (sum string, ok bool) {
	i := bytes.LastIndex(data, []byte(checksumKey))
	if i < 0 {
		return "", false
	}
	start := i + len(checksumKey)
	end := bytes.IndexByte(data[start:], '"')
	if end < 0 {
		return "", false
	}
	blank := append(append([]byte(nil), data[:start]...), data[start+end:]...)
	h := sha256.Sum256(blank)
	return "sha256:" + hex.EncodeToString(h[:]), true
}

func (f *File) encode() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Marshal returns the file's bytes with their checksum (stable: the same
// model gives the same bytes).
func (f *File) Marshal() ([]byte, error) {
	g := *f
	g.Checksum = ""
	b, err := g.encode()
	if err != nil {
		return nil, err
	}
	sum, _ := checksum(b)
	g.Checksum = sum
	f.Checksum = sum
	return g.encode()
}

// WriteFile writes f to path whole (temp file + rename).
func (f *File) WriteFile(path string) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write model file: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // cleanup: gone after the rename, and a leftover temp file is harmless
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return fmt.Errorf("write model file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write model file %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ErrInvalid is wrapped by every error about a bad model file.
var ErrInvalid = errors.New("invalid model file")

// Parse decodes and checks model file bytes; name is used in messages and
// recommender, when not empty, is the recommender the file must be for.
func Parse(name string, data []byte, recommender string) (*File, error) {
	retrain := "retrain it with 'kubectl smartvpa train'"
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("model file %s is corrupted (not valid JSON: %v): %s: %w", name, err, retrain, ErrInvalid)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("model file %s is not a smartvpa model (format %q, want %q): %s: %w", name, f.Format, Format, retrain, ErrInvalid)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("model file %s has version %d, but this build reads version %d: %s: %w", name, f.Version, Version, retrain, ErrInvalid)
	}
	if sum, ok := checksum(data); len(f.Params) == 0 || !ok || f.Checksum != sum {
		return nil, fmt.Errorf("model file %s is corrupted (checksum mismatch): %s: %w", name, retrain, ErrInvalid)
	}
	if recommender != "" && f.Recommender != recommender {
		return nil, fmt.Errorf("model file %s is a %q model, not a %q one: pass a %s model or leave --model empty: %w", name, f.Recommender, recommender, recommender, ErrInvalid)
	}
	f.name = name
	return &f, nil
}

// Read reads and checks the model file at path.
func Read(path, recommender string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model file: %w", err)
	}
	return Parse(path, data, recommender)
}

var (
	mu       sync.RWMutex
	defaults = map[string][]byte{}
	cache    = map[string]*File{}
)

// SetDefault registers the default model bytes of a recommender.
func SetDefault(recommender string, data []byte) {
	mu.Lock()
	defer mu.Unlock()
	defaults[recommender] = data
	delete(cache, recommender)
}

// Defaults lists the recommenders with a default model, sorted.
func Defaults() []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for k := range defaults {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Resolve returns the model for recommender: the file at path when path is
// not empty and holds a model of that recommender, else the registered
// default, else nil (the recommender's built-in defaults). A file of another
// recommender is skipped, not refused, because simulate and backtest give one
// --model to every recommender they run; a bad file (wrong format or version,
// corrupted) is refused whoever reads it.
//
// path may also be a folder of model files named after their recommender
// (NAME.json, as models/ and `make quality` lay them out): then the file of
// recommender is used when the folder has one, else the default.
func Resolve(path, recommender string) (*File, error) {
	if path != "" && IsDir(path) {
		p := filepath.Join(path, recommender+".json")
		if _, err := os.Stat(p); err == nil {
			return Read(p, recommender)
		}
		path = ""
	}
	if path != "" {
		f, err := Read(path, "")
		if err != nil {
			return nil, err
		}
		if f.Recommender == recommender {
			return f, nil
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if f, ok := cache[recommender]; ok {
		return f, nil
	}
	data, ok := defaults[recommender]
	if !ok {
		return nil, nil
	}
	f, err := Parse("(default "+recommender+")", data, recommender)
	if err != nil {
		return nil, err
	}
	cache[recommender] = f
	return f, nil
}

// IsDir reports whether path names a folder (of model files).
func IsDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// DecodeParams decodes f's parameters into v (strictly: unknown fields are
// an error, so a model for another version of a recommender is refused).
func (f *File) DecodeParams(v any) error {
	dec := json.NewDecoder(bytes.NewReader(f.Params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("model file %s (%s) has parameters this build does not understand (%v): retrain it with 'kubectl smartvpa train': %w", f.Name(), f.Recommender, err, ErrInvalid)
	}
	return nil
}

// Name is the file's name in messages: its path, or "(default NAME)" for a
// default model.
func (f *File) Name() string {
	if f.name == "" {
		return "(unnamed " + f.Recommender + ")"
	}
	return f.name
}

// Check returns a range checker of f's decoded parameters: each recommender
// checks every parameter it decodes with it before using any, so that a
// file with a valid checksum but a value out of range is refused with one
// line naming the file and the field, instead of panicking or recommending
// a negative or infinite request.
func (f *File) Check() *Checker { return &Checker{name: f.Name()} }

// Checker checks decoded model parameters; the first failure is kept.
type Checker struct {
	name string
	err  error
}

// CheckerFor returns a checker whose messages name the model file name
// (for parameters that do not come from a File, e.g. in tests).
func CheckerFor(name string) *Checker { return &Checker{name: name} }

// Fail records that field is invalid; why says how (e.g. "is empty").
func (c *Checker) Fail(field, why string) {
	if c.err == nil {
		c.err = fmt.Errorf("model file %s: params.%s %s: fix the file or retrain it with 'kubectl smartvpa train': %w", c.name, field, why, ErrInvalid)
	}
}

// Float checks that v is a finite number in [lo, hi].
func (c *Checker) Float(field string, v, lo, hi float64) {
	if !inRange(v, lo, hi) {
		c.Fail(field, fmt.Sprintf("is %v, want a number from %v to %v", v, lo, hi))
	}
}

func inRange(v, lo, hi float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= lo && v <= hi
}

// Floats checks every element of vs with Float and that there are from
// minLen to maxLen of them.
func (c *Checker) Floats(field string, vs []float64, minLen, maxLen int, lo, hi float64) {
	c.Len(field, len(vs), minLen, maxLen)
	for i, v := range vs {
		if !inRange(v, lo, hi) {
			c.Float(fmt.Sprintf("%s[%d]", field, i), v, lo, hi)
			return
		}
	}
}

// Int checks that v is in [lo, hi].
func (c *Checker) Int(field string, v, lo, hi int) {
	if v < lo || v > hi {
		c.Fail(field, fmt.Sprintf("is %d, want %d to %d", v, lo, hi))
	}
}

// Len checks that a list field has from lo to hi elements.
func (c *Checker) Len(field string, n, lo, hi int) {
	if n < lo || n > hi {
		if n == 0 {
			c.Fail(field, fmt.Sprintf("is empty, want %d to %d values", lo, hi))
			return
		}
		c.Fail(field, fmt.Sprintf("has %d values, want %d to %d", n, lo, hi))
	}
}

// Duration checks that d is in [lo, hi] (durations are stored in
// nanoseconds).
func (c *Checker) Duration(field string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		c.Fail(field, fmt.Sprintf("is %s (%d ns), want %s to %s", d, int64(d), lo, hi))
	}
}

// Durations checks every element of ds with Duration and that there are
// from minLen to maxLen of them.
func (c *Checker) Durations(field string, ds []time.Duration, minLen, maxLen int, lo, hi time.Duration) {
	c.Len(field, len(ds), minLen, maxLen)
	for i, d := range ds {
		if d < lo || d > hi {
			c.Duration(fmt.Sprintf("%s[%d]", field, i), d, lo, hi)
			return
		}
	}
}

// Err is the first failure, or nil.
func (c *Checker) Err() error { return c.err }
