package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/workloads"
)

// ReadManifests reads workloads from YAML or JSON manifests: files, or the
// .yaml, .yml and .json files under folders, each with any number of
// documents separated by "---". Lists (kind: List) are unpacked; objects of
// other kinds are skipped. A namespace-less object gets defaultNamespace.
// Errors name the file and the line of the document.
func ReadManifests(paths []string, defaultNamespace string) ([]*Workload, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
	}
	sort.Strings(files)
	var objs []runtime.Object
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		ws, err := ParseManifests(data, f, defaultNamespace)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if seen[w.Key()] {
				continue
			}
			seen[w.Key()] = true
			objs = append(objs, w.Object)
		}
	}
	return Group(objs, &Snapshot{}, false, labels.Everything()), nil
}

// ParseManifests parses the documents of one file.
func ParseManifests(data []byte, name, defaultNamespace string) ([]*Workload, error) {
	var out []*Workload
	for _, doc := range splitDocuments(data) {
		if len(bytes.TrimSpace(doc.text)) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc.text, &u.Object); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, doc.line, cleanYAMLError(err, doc.line))
		}
		if u.Object == nil {
			continue
		}
		items := []*unstructured.Unstructured{u}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s:%d: field items: %v", name, doc.line, err)
			}
			items = items[:0]
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
		}
		for _, it := range items {
			if it.GetKind() == "" {
				return nil, fmt.Errorf("%s:%d: field kind: missing", name, doc.line)
			}
			if it.GetName() == "" {
				if _, ok := it.Object["metadata"]; ok || it.GetGenerateName() == "" {
					return nil, fmt.Errorf("%s:%d: field metadata.name: missing in %s", name, doc.line, it.GetKind())
				}
			}
			if it.GetNamespace() == "" {
				it.SetNamespace(defaultNamespace)
			}
			obj, err := typedWorkload(it)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, doc.line, err)
			}
			if obj == nil {
				continue
			}
			out = append(out, NewWorkload(obj))
		}
	}
	return out, nil
}

type document struct {
	text []byte
	line int // 1-based line where the document starts
}

func splitDocuments(data []byte) []document {
	var docs []document
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	var cur bytes.Buffer
	start, n := 1, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.TrimLeft(line, "-")) == "" {
			docs = append(docs, document{text: append([]byte(nil), cur.Bytes()...), line: start})
			cur.Reset()
			start = n + 1
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	docs = append(docs, document{text: cur.Bytes(), line: start})
	return docs
}

// cleanYAMLError shifts "line N" in a YAML error to the file's line.
func cleanYAMLError(err error, start int) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	var l int
	if i := strings.Index(msg, "line "); i >= 0 {
		if _, e := fmt.Sscanf(msg[i:], "line %d", &l); e == nil {
			return fmt.Sprintf("line %d: %s", start+l-1, strings.TrimPrefix(msg[i+len(fmt.Sprintf("line %d", l)):], ": "))
		}
	}
	return msg
}

// WorkloadAnnotation names the workload-store trace a pod template follows
// (the local control plane's usage driver sets it).
const WorkloadAnnotation = "smartvpa.io/workload"

// Traces is a history source for offline audits: usage from workload traces
// in the store. A container's trace id is, in order: the pod template's
// smartvpa.io/workload annotation, "<name>-<container>", "<name>".
type Traces struct {
	Store *workloads.Store
	// Duration keeps only the last Duration of each trace (0: all).
	Duration time.Duration
}

// Name returns "traces".
func (t *Traces) Name() string { return "traces" }

// TraceIDs lists the ids tried for a container, in order.
func TraceIDs(w *Workload, container string) []string {
	var ids []string
	if id := w.Template.Annotations[WorkloadAnnotation]; id != "" {
		ids = append(ids, id)
	}
	return append(ids, w.Name+"-"+container, w.Name)
}

// History implements HistorySource. now is ignored: traces carry their own
// times; End gives the time to recommend at.
func (t *Traces) History(_ context.Context, ws []*Workload, _ time.Time) (*History, error) {
	h := NewHistory(t.Name())
	for _, w := range ws {
		for _, c := range w.Containers {
			for _, id := range TraceIDs(w, c.Name) {
				if workloads.ValidateID(id) != nil {
					continue
				}
				if _, err := os.Stat(t.Store.Path(id)); errors.Is(err, fs.ErrNotExist) {
					continue
				}
				tr, err := t.Store.Load(id)
				if err != nil {
					return nil, fmt.Errorf("usage for %s/%s container %s: %w", w.Namespace, w.Ref(), c.Name, err)
				}
				samples := tr.Samples()
				if t.Duration > 0 && len(samples) > 0 {
					from := samples[len(samples)-1].Time.Add(-t.Duration)
					i := sort.Search(len(samples), func(i int) bool { return !samples[i].Time.Before(from) })
					samples = samples[i:]
				}
				h.Samples[ContainerKey{Workload: w.Key(), Container: c.Name}] = samples
				break
			}
		}
	}
	return h, nil
}

// End returns the time of the latest sample in h (zero when empty).
func (h *History) End() time.Time {
	var end time.Time
	for _, s := range h.Samples {
		if len(s) > 0 && s[len(s)-1].Time.After(end) {
			end = s[len(s)-1].Time
		}
	}
	for _, c := range h.Checkpoints {
		if c.LastSampleStart.After(end) {
			end = c.LastSampleStart
		}
	}
	return end
}
