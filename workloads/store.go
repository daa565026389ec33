package workloads

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultStoreDir is where workloads live unless told otherwise.
const DefaultStoreDir = "data/workloads"

// File names inside a workload directory.
const (
	TraceFile = "trace.csv"
	MetaFile  = "meta.json"
)

// TraceHeader is the first line of every trace.csv.
const TraceHeader = "timestamp,cpu_millicores,memory_bytes"

// Store is a directory of workloads, one sub-directory per trace id holding
// trace.csv and meta.json.
type Store struct {
	Dir string
	// Overwrite lets Save and SaveAll replace workloads that exist; without
	// it they refuse (ErrExists) and write nothing.
	Overwrite bool
}

// ErrExists is wrapped by the error of a save that would replace a
// workload without Store.Overwrite.
var ErrExists = errors.New("workload exists")

// OpenStore returns the store rooted at dir ("" means DefaultStoreDir). It does
// not touch the file system; Save creates the directory when needed.
func OpenStore(dir string) *Store {
	if dir == "" {
		dir = DefaultStoreDir
	}
	return &Store{Dir: dir}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

// ValidateID reports whether id can name a workload directory: letters,
// digits, '.', '_' and '-', starting with a letter or digit, at most 200 long.
func ValidateID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("invalid workload id %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", id)
	}
	return nil
}

// SanitizeID turns s into a valid id by replacing every other character with
// '-', trimming leading separators and cutting it to 200 characters.
func SanitizeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	out := strings.TrimLeft(string(b), "._-")
	if len(out) > 200 {
		out = out[:200]
	}
	if out == "" {
		out = "x"
	}
	return out
}

// Path returns the directory of workload id.
func (s *Store) Path(id string) string { return filepath.Join(s.Dir, id) }

// Load reads workload id from the store.
func (s *Store) Load(id string) (*Trace, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := s.Path(id)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("workload %q not found in %s: run 'kubectl smartvpa workload list --store %s' to see the ids", id, s.Dir, s.Dir)
	}
	return loadDir(dir)
}

// LoadPath reads a workload directory (trace.csv + meta.json) or a bare
// trace.csv file. For a bare file the metadata is derived: the id is the file
// name without extension and the interval is the median interval.
func LoadPath(path string) (*Trace, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open workload: %w", err)
	}
	if st.IsDir() {
		return loadDir(path)
	}
	t, err := readTraceFile(path)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	if base == TraceFile {
		base = filepath.Base(filepath.Dir(path))
	}
	t.ID = SanitizeID(strings.TrimSuffix(base, filepath.Ext(base)))
	t.Meta = Meta{Source: "file", Type: "trace", Files: []string{path}}
	t.finish()
	return t, nil
}

func loadDir(dir string) (*Trace, error) {
	t, err := readTraceFile(filepath.Join(dir, TraceFile))
	if err != nil {
		return nil, err
	}
	metaPath := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(metaPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		t.Meta = Meta{Source: "file", Type: "trace"}
	case err != nil:
		return nil, err
	default:
		if t.Meta, err = ParseMeta(metaPath, b); err != nil {
			return nil, err
		}
	}
	t.ID = t.Meta.ID
	if t.ID == "" {
		t.ID = SanitizeID(filepath.Base(dir))
	}
	t.finish()
	return t, nil
}

// ParseMeta decodes meta.json bytes; name is the file in messages. A value
// of the wrong type names the line and the field ("samples"), not Go's
// struct path.
func ParseMeta(name string, b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		var ie *InputError
		if errors.As(configError(name, b, "", err), &ie) {
			ie.Field = strings.TrimPrefix(ie.Field, "metaJSON.")
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				ie.Line = lineAt(b, te.Offset)
			}
			return Meta{}, ie
		}
		return Meta{}, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func readTraceFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open workload: %w", err)
	}
	defer f.Close() //nolint:errcheck // only read: closing it reports nothing to act on
	return ReadTraceCSV(f, path)
}

// ReadTraceCSV reads the store's trace.csv format from r; name is used in
// error messages. Errors name the file, the line and the field.
func ReadTraceCSV(r io.Reader, name string) (*Trace, error) {
	sc := newLineScanner(r)
	t := &Trace{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if strings.TrimPrefix(text, "\ufeff") != TraceHeader {
				return nil, &InputError{File: name, Line: 1, Msg: fmt.Sprintf("header is %q, want %q", clip(text), TraceHeader)}
			}
			continue
		}
		if text == "" {
			continue
		}
		f1, rest, ok1 := strings.Cut(text, ",")
		f2, f3, ok2 := strings.Cut(rest, ",")
		if !ok1 || !ok2 || strings.Contains(f3, ",") {
			return nil, &InputError{File: name, Line: line, Msg: fmt.Sprintf("want 3 comma-separated fields, got %q", clip(text))}
		}
		sec, err := strconv.ParseInt(f1, 10, 64)
		if err != nil {
			return nil, &InputError{File: name, Line: line, Field: "timestamp", Msg: fmt.Sprintf("not unix seconds %q", clip(f1))}
		}
		cpu, err := parseUsage(f2)
		if err != nil {
			return nil, &InputError{File: name, Line: line, Field: "cpu_millicores", Msg: err.Error()}
		}
		mem, err := parseUsage(f3)
		if err != nil {
			return nil, &InputError{File: name, Line: line, Field: "memory_bytes", Msg: err.Error()}
		}
		at := time.Unix(sec, 0).UTC()
		if n := t.Len(); n > 0 && !at.After(t.Times[n-1]) {
			return nil, &InputError{File: name, Line: line, Field: "timestamp", Msg: fmt.Sprintf("%d is not after the previous row", sec)}
		}
		t.Append(at, cpu, mem)
	}
	if err := sc.Err(); err != nil {
		return nil, &InputError{File: name, Line: line + 1, Msg: err.Error()}
	}
	if line == 0 {
		return nil, &InputError{File: name, Msg: "empty file: want the header " + TraceHeader}
	}
	if t.Len() == 0 {
		return nil, &InputError{File: name, Msg: "no samples after the header"}
	}
	return t, nil
}

// WriteTraceCSV writes t in the store's trace.csv format: the header, then one
// row per sample with the time in Unix seconds and the usage as the shortest
// decimal that reads back to the same float64.
func WriteTraceCSV(w io.Writer, t *Trace) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	// bufio.Writer errors stick: the Flush at the end returns them.
	_, _ = bw.WriteString(TraceHeader)
	_ = bw.WriteByte('\n')
	buf := make([]byte, 0, 64)
	for i := range t.Times {
		buf = buf[:0]
		buf = strconv.AppendInt(buf, t.Times[i].Unix(), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, t.CPUMillicores[i], 'f', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, t.MemoryBytes[i], 'f', -1, 64)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// MarshalMeta returns the meta.json bytes of t (indented, newline-terminated).
func MarshalMeta(t *Trace) ([]byte, error) {
	t.finish()
	b, err := json.MarshalIndent(t.Meta, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes t to the store as <dir>/<t.ID>/ and returns that path. The
// trace is validated first and written into a temporary directory that is
// renamed into place, so a failure leaves no half-written workload. An
// existing workload with the same id is replaced only with s.Overwrite.
func (s *Store) Save(t *Trace) (string, error) {
	paths, err := s.SaveAll([]*Trace{t})
	if err != nil {
		return "", err
	}
	return paths[0], nil
}

// SaveAll saves several traces as one unit: all are validated and written
// into a staging directory first, then renamed into place; when anything
// fails, nothing new is left in the store.
func (s *Store) SaveAll(traces []*Trace) ([]string, error) {
	return s.SaveAllContext(context.Background(), traces)
}

// SaveAllContext is SaveAll that gives up, removing its staging directory,
// when ctx is done before the traces are moved into place (a signal).
// Staging directories that interrupted writes left behind (their process is
// gone, or they are older than a day) are removed first.
func (s *Store) SaveAllContext(ctx context.Context, traces []*Trace) ([]string, error) {
	seen := map[string]bool{}
	for _, t := range traces {
		if err := ValidateID(t.ID); err != nil {
			return nil, err
		}
		if seen[t.ID] {
			return nil, fmt.Errorf("two traces have the id %q: give them different ids", t.ID)
		}
		seen[t.ID] = true
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("workload %s: %w", t.ID, err)
		}
	}
	if !s.Overwrite {
		for _, t := range traces {
			if err := s.checkFree(t); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create workload store: %w", err)
	}
	s.sweepStaging(time.Now())
	stage, err := os.MkdirTemp(s.Dir, fmt.Sprintf("%s%d-", stagingPrefix, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create workload store: %w", err)
	}
	defer os.RemoveAll(stage) //nolint:errcheck // a stage left behind is swept by the next write (sweepStaging)
	for _, t := range traces {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted before the workloads were saved: nothing was written: %w", err)
		}
		if err := writeWorkloadDir(filepath.Join(stage, t.ID), t); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted before the workloads were saved: nothing was written: %w", err)
	}
	var done []string    // ids moved into place
	var backups []string // ids whose previous version sits in stage/.old/<id>
	rollback := func() {
		// Best effort: the error that made the save roll back is the one
		// returned.
		for _, id := range done {
			_ = os.RemoveAll(s.Path(id))
		}
		for _, id := range backups {
			_ = os.Rename(filepath.Join(stage, ".old", id), s.Path(id))
		}
	}
	paths := make([]string, 0, len(traces))
	for _, t := range traces {
		dst := s.Path(t.ID)
		if _, err := os.Lstat(dst); err == nil {
			if err := os.MkdirAll(filepath.Join(stage, ".old"), 0o755); err != nil {
				rollback()
				return nil, err
			}
			if err := os.Rename(dst, filepath.Join(stage, ".old", t.ID)); err != nil {
				rollback()
				return nil, fmt.Errorf("replace workload %s: %w", t.ID, err)
			}
			backups = append(backups, t.ID)
		}
		if err := os.Rename(filepath.Join(stage, t.ID), dst); err != nil {
			rollback()
			return nil, fmt.Errorf("save workload %s: %w", t.ID, err)
		}
		done = append(done, t.ID)
		paths = append(paths, dst)
	}
	return paths, nil
}

// checkFree returns an ErrExists error when t's id is taken.
func (s *Store) checkFree(t *Trace) error {
	if _, err := os.Lstat(s.Path(t.ID)); err != nil {
		return nil
	}
	what := "a workload"
	if b, err := os.ReadFile(filepath.Join(s.Path(t.ID), MetaFile)); err == nil {
		if m, err := ParseMeta(MetaFile, b); err == nil && m.Type != "" {
			what = "a " + m.Type + " workload"
		}
	}
	return fmt.Errorf("%s %s already exists in %s: %w", what, t.ID, s.Dir, ErrExists)
}

// stagingPrefix starts the names of staging directories:
// .staging-<pid>-<random>.
const stagingPrefix = ".staging-"

// staleStaging is the age from which any staging directory is left over
// (a write takes seconds).
const staleStaging = 24 * time.Hour

// sweepStaging removes the staging directories of writes that did not
// finish: their process is no longer running, or they are older than
// staleStaging. Errors are ignored (the next write tries again).
func (s *Store) sweepStaging(now time.Time) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stagingPrefix) {
			continue
		}
		stale := false
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleStaging {
			stale = true
		}
		pid, rest, ok := strings.Cut(strings.TrimPrefix(name, stagingPrefix), "-")
		if n, err := strconv.Atoi(pid); ok && rest != "" && err == nil && n > 0 && n != os.Getpid() && !processRunning(n) {
			stale = true
		}
		if stale {
			_ = os.RemoveAll(filepath.Join(s.Dir, name)) // best effort: tried again at the next write
		}
	}
}

func writeWorkloadDir(dir string, t *Trace) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	meta, err := MarshalMeta(t)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(t.Len() * 32)
	if err := WriteTraceCSV(&buf, t); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, TraceFile), buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, MetaFile), meta, 0o644)
}

// List returns the metadata of every workload in the store, sorted by id. A
// missing store is empty. Directories without meta.json are skipped.
func (s *Store) List() ([]Meta, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Meta
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(s.Dir, e.Name(), MetaFile)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := ParseMeta(p, b)
		if err != nil {
			return nil, err
		}
		if m.ID == "" {
			m.ID = e.Name()
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
