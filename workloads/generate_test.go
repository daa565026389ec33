package workloads

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The shipped copies under data/configs/workloads must equal the embedded
// canonical configs under workloads/configs.
func TestShippedConfigsMatchEmbedded(t *testing.T) {
	shipped, err := filepath.Glob("../data/configs/workloads/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range shipped {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
	}
	if !reflect.DeepEqual(names, GeneratorTypes()) {
		t.Fatalf("data/configs/workloads has %v, want one file per type %v", names, GeneratorTypes())
	}
	for _, typ := range GeneratorTypes() {
		emb, err := DefaultConfig(typ)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := os.ReadFile(filepath.Join("..", "data", "configs", "workloads", typ+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(emb, disk) {
			t.Errorf("data/configs/workloads/%s.json differs from workloads/configs/%s.json: copy the canonical one over", typ, typ)
		}
	}
}

// Every field of every generator is documented in the shipped config's _doc.
func TestShippedConfigsDocumentEveryField(t *testing.T) {
	for _, typ := range GeneratorTypes() {
		t.Run(typ, func(t *testing.T) {
			raw, _ := DefaultConfig(typ)
			var top struct {
				Doc    map[string]string          `json:"_doc"`
				CPU    map[string]json.RawMessage `json:"cpu"`
				Memory map[string]json.RawMessage `json:"memory"`
			}
			if err := json.Unmarshal(raw, &top); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"type", "cpu", "memory", "request"} {
				if top.Doc[k] == "" {
					t.Errorf("_doc has no %q entry", k)
				}
			}
			typ := reflect.TypeOf(generators[typ].newParams()).Elem()
			for i := 0; i < typ.NumField(); i++ {
				name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
				if top.Doc[name] == "" {
					t.Errorf("field %q is not documented in _doc", name)
				}
				if _, ok := top.CPU[name]; !ok {
					t.Errorf("cpu does not set %q", name)
				}
				if _, ok := top.Memory[name]; !ok {
					t.Errorf("memory does not set %q", name)
				}
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, typ := range GeneratorTypes() {
		t.Run(typ, func(t *testing.T) {
			gen := func(seed int64) []byte {
				tr, err := Generate(typ, nil, seed, 8*24*time.Hour, time.Minute, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.Validate(); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := WriteTraceCSV(&buf, tr); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			a, b, c := gen(42), gen(42), gen(43)
			if !bytes.Equal(a, b) {
				t.Fatal("same seed gave different trace.csv bytes")
			}
			if bytes.Equal(a, c) {
				t.Fatal("different seeds gave identical traces")
			}
		})
	}
}
