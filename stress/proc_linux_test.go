//go:build linux

package stress

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       ProcUsage
		err        bool
	}{
		{"plain", "4242 (kubectl-smartvp) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 31 0 0 20 0 5 0 100 1000 300 18446744073709551615",
			ProcUsage{PID: 4242, PPID: 1, CPUTime: 2810 * time.Millisecond}, false},
		{"name with spaces and parens", "77 (a (b) c) R 9 77 77 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1",
			ProcUsage{PID: 77, PPID: 9, CPUTime: 30 * time.Millisecond}, false},
		{"short", "1 (init) S 0 1", ProcUsage{}, true},
		{"no name", "1 init S", ProcUsage{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.line))
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v (error %v)", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestReadProcSelf(t *testing.T) {
	u, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.PID != os.Getpid() || u.PPID != os.Getppid() || u.RSS <= 0 {
		t.Fatalf("got %+v", u)
	}
	tree, err := ReadProcTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree.CPUTime < u.CPUTime || tree.RSS < u.RSS/2 {
		t.Fatalf("tree %+v smaller than the root %+v", tree, u)
	}
}

// TestNativeMemoryAccounting checks that the memory controller brings this
// process's resident set (measured from /proc) to the target and back down
// when it drops. It does not depend on CPU speed.
func TestNativeMemoryAccounting(t *testing.T) {
	const mi = 1 << 20
	n := NewNative(NativeConfig{Workers: 1, ChunkBytes: mi})
	defer n.releaseAll()
	base := float64(selfRSS())
	for _, target := range []float64{base + 96*mi, base + 160*mi, base + 32*mi, 0} {
		for range 3 { // the controller corrects with what it measured
			n.adjustMemory(target)
		}
		rss := float64(selfRSS())
		if target == 0 {
			if n.HeldBytes() != 0 {
				t.Fatalf("target 0: still holding %d bytes", n.HeldBytes())
			}
			continue
		}
		if math.Abs(rss-target) > 4*mi {
			t.Fatalf("target %.0f MiB: resident set %.0f MiB (holding %d MiB)", target/mi, rss/mi, n.HeldBytes()/mi)
		}
	}
}

// TestNativeRunReleases: Run follows a target and gives every page back when
// it stops (what the agent does on SIGTERM).
func TestNativeRunReleases(t *testing.T) {
	n := NewNative(NativeConfig{Workers: 1, ControlInterval: 20 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	n.SetTarget(50, float64(selfRSS())+32<<20)
	deadline := time.Now().Add(20 * time.Second)
	for n.HeldBytes() < 16<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("holding only %d bytes", n.HeldBytes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n.HeldBytes() != 0 {
		t.Fatalf("still holding %d bytes after Run returned", n.HeldBytes())
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("4242 (kubectl-smartvp) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 31 0 0 20 0 5 0 100 1000 300")
	f.Add("77 (a (b) c) R 9 77 77 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1")
	f.Add(") (")
	f.Fuzz(func(t *testing.T, line string) {
		u, err := parseProcStat([]byte(line))
		if err == nil && (u.PPID < 0 || u.CPUTime < 0 || !strings.Contains(line, ")")) {
			t.Fatalf("parsed %+v from %q", u, line)
		}
	})
}
