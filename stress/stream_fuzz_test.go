package stress

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzTargetStream reads arbitrary bytes as a connect stream: the client
// never panics, hands fn only targets with usage at least 0, and ends with
// nil only after a Done target.
func FuzzTargetStream(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "streams", "*.jsonl"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed streams in testdata/streams: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var last Target
		n := 0
		err := readTargets(bytes.NewReader(data), func(tg Target) error {
			if tg.CPUMillicores < 0 || tg.MemoryBytes < 0 {
				t.Fatalf("fn got a target with negative usage: %+v", tg)
			}
			last, n = tg, n+1
			return nil
		})
		if err == nil && (n == 0 || !last.Done) {
			t.Fatalf("nil error without a done target (%d targets)", n)
		}
		if err != nil && n > 0 && last.Done {
			t.Fatalf("error %v after a done target", err)
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && len(err.Error()) == 0 {
			t.Fatal("empty error")
		}
	})
}
