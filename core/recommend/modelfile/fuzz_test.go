package modelfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse parses arbitrary bytes as a model file: never a panic, every
// refusal wraps ErrInvalid and is one line, and an accepted file marshals
// back to bytes that parse to the same file.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed model files in testdata: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("m.json", data, "")
		if err != nil {
			if !errors.Is(err, ErrInvalid) || bytes.ContainsAny([]byte(err.Error()), "\n\r") {
				t.Fatalf("refusal %q: want one line wrapping ErrInvalid", err)
			}
			return
		}
		b, err := m.Marshal()
		if err != nil {
			t.Fatalf("marshal an accepted file: %v", err)
		}
		if _, err := Parse("again.json", b, m.Recommender); err != nil {
			t.Fatalf("an accepted file, marshalled again, is refused: %v", err)
		}
	})
}
