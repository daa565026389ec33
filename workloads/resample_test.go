package workloads

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResample(t *testing.T) {
	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	tr := &Trace{ID: "x"}
	// Bucket [0, 300): three rows; [300, 600): none (a gap); [600, 900): two
	// rows; [-300, 0): one row before the epoch-aligned boundary.
	tr.Append(at(-10), 50, 5)
	tr.Append(at(0), 100, 10)
	tr.Append(at(120), 200, 30)
	tr.Append(at(299), 600, 20)
	tr.Append(at(600), 10, 7)
	tr.Append(at(899), 30, 8)
	tr.Resample(5 * time.Minute)
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	wantT := []time.Time{at(-300), at(0), at(600)}
	if !reflect.DeepEqual(tr.Times, wantT) {
		t.Errorf("times %v, want %v", tr.Times, wantT)
	}
	if want := []float64{50, 300, 20}; !reflect.DeepEqual(tr.CPUMillicores, want) {
		t.Errorf("cpu %v, want the bucket means %v", tr.CPUMillicores, want)
	}
	if want := []float64{5, 30, 8}; !reflect.DeepEqual(tr.MemoryBytes, want) {
		t.Errorf("memory %v, want the bucket maxima %v", tr.MemoryBytes, want)
	}
	if tr.Meta.Interval != 5*time.Minute {
		t.Errorf("interval %s", tr.Meta.Interval)
	}
	if c := strings.Join(tr.Meta.Conversions, "\n"); !strings.Contains(c, "6 rows became 3 samples") {
		t.Errorf("conversions %q", c)
	}
}

func TestResampleWidth(t *testing.T) {
	for _, tt := range []struct {
		format string
		opt    time.Duration
		want   time.Duration
		err    string
	}{
		{FormatAlibabaMachine, 0, 5 * time.Minute, ""},
		{FormatAlibabaContainer, 0, 5 * time.Minute, ""},
		{FormatBitbrains, 0, 0, ""},
		{FormatAlibabaMachine, NoResample, 0, ""},
		{FormatBitbrains, time.Minute, time.Minute, ""},
		{FormatBitbrains, 1500 * time.Millisecond, 0, "invalid resample width 1.5s: use a whole number of seconds, at least 1s"},
	} {
		o := ImportOptions{Resample: tt.opt}
		got, err := o.resampleWidth(tt.format)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s %s: error %v, want %q", tt.format, tt.opt, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s %s: %s %v, want %s", tt.format, tt.opt, got, err, tt.want)
		}
	}
}
