package main

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestProgressOnlyOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	f, err := os.CreateTemp(t.TempDir(), "p")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // only read: closing it reports nothing to act on
	for name, w := range map[string]interface{ Write([]byte) (int, error) }{"a buffer": &buf, "a regular file": f} {
		bar := newProgressBar(w, "x", 10, runs)
		if bar != nil {
			t.Fatalf("%s is not a terminal: want no bar", name)
		}
		// A nil bar is usable and draws nothing.
		bar.Add(1)
		bar.Set(5, 10)
		bar.Line("epoch 1")
		bar.Done()
	}
	if buf.Len() != 0 {
		t.Fatalf("a nil bar wrote %q", buf.String())
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Fatalf("a nil bar wrote %d bytes to the file", st.Size())
	}
}

func TestRenderProgress(t *testing.T) {
	tests := []struct {
		label       string
		done, total int64
		amounts     func(int64, int64) string
		eta         time.Duration
		want        string
	}{
		{"importing", 50, 200, megabytes, 0, "importing  25% [#####...............] 0.0/0.0 MB"},
		{"importing", 300, 200, megabytes, 0, "importing 100% [####################] 0.0/0.0 MB"},
		{"backtest", 1, 3, runs, 83*time.Second + 400*time.Millisecond, "backtest  33% [######..............] 1/3 runs, ETA 1m23s"},
		// Durations as people write them: not 1h0m0s.
		{"backtest", 1, 3, runs, time.Hour + 200*time.Millisecond, "backtest  33% [######..............] 1/3 runs, ETA 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := renderProgress(tt.label, tt.done, tt.total, 20, tt.amounts(tt.done, tt.total), tt.eta); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The bar redraws at most every 100 ms (and at the end), with the ETA from
// the rate so far, and Done clears the line.
func TestProgressBarDraws(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	bar := &progressBar{w: &buf, label: "backtest", amounts: runs, now: func() time.Time { return now }}
	steps := []struct {
		advance time.Duration
		done    int64
		want    string
	}{
		{0, 1, "\r\x1b[Kbacktest  25% [#######.......................] 1/4 runs"},
		{10 * time.Second, 2, "\r\x1b[Kbacktest  50% [###############...............] 2/4 runs, ETA 10s"},
		{50 * time.Millisecond, 3, ""}, // within 100 ms of the last draw
		{10 * time.Millisecond, 4, "\r\x1b[Kbacktest 100% [##############################] 4/4 runs"},
	}
	for _, s := range steps {
		buf.Reset()
		now = now.Add(s.advance)
		bar.Set(s.done, 4)
		if buf.String() != s.want {
			t.Fatalf("after %d of 4: drew %q, want %q", s.done, buf.String(), s.want)
		}
	}
	buf.Reset()
	bar.Done()
	if buf.String() != "\r\x1b[K" {
		t.Fatalf("Done drew %q, want the line cleared", buf.String())
	}
}
