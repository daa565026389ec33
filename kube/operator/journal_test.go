package operator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

func journalSamples(j *journal) []model.Sample {
	var out []model.Sample
	for s := range j.All() {
		out = append(out, s)
	}
	return out
}

func sameSamples(a, b []model.Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Time.Equal(b[i].Time) || math.Float64bits(a[i].CPUMillicores) != math.Float64bits(b[i].CPUMillicores) ||
			math.Float64bits(a[i].MemoryBytes) != math.Float64bits(b[i].MemoryBytes) {
			return false
		}
	}
	return true
}

func TestJournalExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tests := []struct {
		name string
		gen  func(i int, prev time.Time) model.Sample
	}{
		{"whole millicores and bytes, a minute apart", func(i int, prev time.Time) model.Sample {
			return model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: float64(100 + rng.IntN(50)), MemoryBytes: float64(200<<20 + rng.IntN(1<<20))}
		}},
		{"replicas a nanosecond apart, irregular windows", func(i int, prev time.Time) model.Sample {
			at := prev.Add(time.Nanosecond)
			if i%3 == 0 {
				at = prev.Add(time.Duration(10+rng.IntN(50)) * time.Second)
			}
			return model.Sample{Time: at, CPUMillicores: float64(rng.IntN(4000)), MemoryBytes: float64(rng.Int64N(64 << 30))}
		}},
		{"fractions, negatives, zeros and huge values", func(i int, prev time.Time) model.Sample {
			vals := []float64{0.5, 1234.5678, -3, math.Copysign(0, -1), 0, 1 << 60, math.MaxFloat64, math.Inf(1), 1e-300, float64(1<<53) + 2}
			return model.Sample{Time: prev.Add(time.Duration(rng.Int64N(int64(time.Hour)))), CPUMillicores: vals[i%len(vals)], MemoryBytes: vals[(i*7+3)%len(vals)]}
		}},
		{"backwards and far jumps in time", func(i int, prev time.Time) model.Sample {
			return model.Sample{Time: t0.Add(time.Duration(rng.Int64N(1<<62) - 1<<61)), CPUMillicores: 1, MemoryBytes: 2}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJournal(1 << 20)
			var want []model.Sample
			prev := t0
			for i := range 3000 {
				s := tt.gen(i, prev)
				prev = s.Time
				j.add(s)
				want = append(want, s)
			}
			if got := journalSamples(j); j.Len() != len(want) || !sameSamples(got, want) {
				t.Fatalf("journal gave back %d samples, not the %d added exactly", len(got), len(want))
			}
		})
	}
}

func TestJournalBound(t *testing.T) {
	for _, max := range []int{1, 7, 50, 1000, 11520} {
		j := newJournal(max)
		var all []model.Sample
		for i := range 3*max + 5 {
			s := model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: float64(i), MemoryBytes: float64(2 * i)}
			j.add(s)
			all = append(all, s)
			if j.Len() > max {
				t.Fatalf("max %d: journal holds %d samples", max, j.Len())
			}
		}
		got := journalSamples(j)
		if len(got) < max-j.chunkSize || !reflect.DeepEqual(got, all[len(all)-len(got):]) {
			t.Fatalf("max %d: journal holds %d samples, want the newest %d..%d", max, len(got), max-j.chunkSize, max)
		}
	}
}

// TestJournalBinary: appendTo/readJournal give back the same samples, go on
// encoding where the journal left off, and refuse truncated input.
func TestJournalBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 511, 512, 513, 3000} {
		j := newJournal(1 << 20)
		var want []model.Sample
		at := t0
		for i := range n {
			at = at.Add(time.Duration(1+rng.IntN(120)) * time.Second)
			s := model.Sample{Time: at, CPUMillicores: float64(rng.IntN(5000)), MemoryBytes: float64(rng.Int64N(8 << 30))}
			if i%97 == 0 {
				s.CPUMillicores += 0.25
			}
			j.add(s)
			want = append(want, s)
		}
		b := append(j.appendTo([]byte("head")), "next container"...)
		got, rest, err := readJournal(b[4:], 1<<20)
		if err != nil || string(rest) != "next container" {
			t.Fatalf("n=%d: readJournal: %v, %d bytes left", n, err, len(rest))
		}
		// Appending after the round trip continues the same encoding.
		more := model.Sample{Time: at.Add(time.Minute), CPUMillicores: 7, MemoryBytes: 9}
		got.add(more)
		want = append(want, more)
		if !sameSamples(journalSamples(got), want) || got.Len() != len(want) {
			t.Fatalf("n=%d: round trip gave %d samples, not the %d written", n, got.Len(), len(want))
		}
		// The journal read shares b's bytes: adding to it left b as it was.
		again, rest, err := readJournal(b[4:], 1<<20)
		if err != nil || !sameSamples(journalSamples(again), want[:len(want)-1]) || string(rest) != "next container" {
			t.Fatalf("n=%d: b changed under the journal read from it (%v)", n, err)
		}
		size := len(b) - 4 - len("next container")
		for cut := 1; cut < size && n > 0; cut += 1 + size/7 {
			if _, _, err := readJournal(b[4:4+cut], 1<<20); err == nil {
				t.Fatalf("n=%d: %d of %d bytes read without an error", n, cut, size)
			}
		}
	}
	// A smaller bound drops the oldest chunks on read.
	j := newJournal(1 << 20)
	for i := range 2000 {
		j.add(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: float64(i), MemoryBytes: 1})
	}
	got, _, err := readJournal(j.appendTo(nil), 600)
	if err != nil || got.Len() > 600 || got.Len() < 600-j.chunkSize {
		t.Fatalf("bounded read: %d samples, %v", got.Len(), err)
	}
	if s := journalSamples(got); s[len(s)-1].CPUMillicores != 1999 {
		t.Fatal("bounded read lost the newest sample")
	}
}

// FuzzReadJournal: any input gives an error or a journal that iterates.
func FuzzReadJournal(f *testing.F) {
	j := newJournal(100)
	for i := range 30 {
		j.add(model.Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUMillicores: float64(i * i), MemoryBytes: 0.5})
	}
	f.Add(j.appendTo(nil))
	f.Add([]byte{1, 5, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _, err := readJournal(b, 1000)
		if err != nil {
			return
		}
		n := 0
		for range got.All() {
			n++
		}
		if n > got.Len() {
			t.Fatalf("iterated %d samples of a journal of %d", n, got.Len())
		}
	})
}

// BenchmarkJournal8d adds 8 days of 1-minute samples (11,520) with
// metrics.k8s.io-like values and reports the encoded bytes per sample and
// per container (a []model.Sample holds 40 bytes a sample).
func BenchmarkJournal8d(b *testing.B) {
	const n = 8 * 24 * 60
	rng := rand.New(rand.NewPCG(1, 1))
	samples := make([]model.Sample, n)
	for i := range samples {
		samples[i] = model.Sample{Time: t0.Add(time.Duration(i) * time.Minute),
			CPUMillicores: float64(200 + rng.IntN(300)), MemoryBytes: float64(300<<20 + rng.IntN(64<<20))}
	}
	var j *journal
	b.ReportAllocs()
	for b.Loop() {
		j = newJournal(n)
		for _, s := range samples {
			j.add(s)
		}
	}
	b.ReportMetric(float64(j.bytes())/n, "B/sample")
	b.ReportMetric(float64(j.bytes())/1024, "KiB/container")
}

// A version 2 checkpoint written by the previous serve (no pod slots) is
// read with every sample in slot 0 and replays.
func TestDecodeJournalFileVersion2(t *testing.T) {
	b, err := os.ReadFile("testdata/checkpoint-v2.bin")
	if err != nil {
		t.Fatal(err)
	}
	f, err := decodeJournalFile(b, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if f.meta.Version != 2 || len(f.meta.Slots) != 0 {
		t.Fatalf("header %+v", f.meta)
	}
	n := 0
	for tag, s := range f.journals["app"].Tagged() {
		if tag != 0 || s.Time.Before(t0) {
			t.Fatalf("sample %d: tag %d, %+v", n, tag, s)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("%d samples, want 20", n)
	}
	c := &Controller{cfg: Config{Recommender: "vpa", MaxJournal: 1000}}
	s, err := c.restoreState(f)
	if err != nil {
		t.Fatal(err)
	}
	if cs := s.containers["app"]; cs == nil || cs.samples != 20 || len(cs.ooms) != 1 {
		t.Fatalf("restored %+v", cs)
	}
}

// FuzzDecodeJournalFile: any checkpoint bytes give an error or a file whose
// journals iterate their samples, whose header slots are in range, that
// encodes again to the same header and tagged samples, and that replays.
func FuzzDecodeJournalFile(f *testing.F) {
	if b, err := os.ReadFile("testdata/checkpoint-v2.bin"); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	jf := &journalFile{meta: checkpointMeta{Recommender: "vpa", VPA: "demo/web", UID: "uid-web", Written: t0,
		Seen: map[string]time.Time{"web-0/app": t0}, Slots: map[string]int{"uid-0": 0, "uid-1": 1},
		Containers: []containerMeta{{Name: "app", First: t0, Last: t0.Add(time.Minute), Total: 4,
			OOMs: []OOM{{Time: t0.Add(30 * time.Second), MemoryRequestBytes: 128 * model.MiB, Slot: 1}}}, {Name: "sidecar"}}},
		journals: map[string]*journal{"app": newJournal(100)}}
	for i := range 4 {
		jf.journals["app"].addTagged(makeTag(i%2, i < 2), model.Sample{Time: t0.Add(time.Duration(i) * 20 * time.Second), CPUMillicores: float64(100 + i), MemoryBytes: 0.5 + float64(i)})
	}
	v3, err := jf.encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v3)
	f.Add([]byte(JournalMagic + "\x1d" + `{"version":3,"containers":[]}`))
	f.Add([]byte(JournalMagic + "\x2e" + `{"version":3,"slots":{"a":-1},"containers":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		defer func() {
			// A checkpoint of at most 1,000 samples a container restores
			// in milliseconds; a corrupt one must not stall serve.
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("decode and restore took %s", d)
			}
		}()
		got, err := decodeJournalFile(b, 1000)
		if err != nil {
			return
		}
		for _, slot := range got.meta.Slots {
			if slot < 0 || slot > maxSlot {
				t.Fatalf("slot %d accepted", slot)
			}
		}
		type ts struct {
			tag podTag
			smp model.Sample
		}
		collect := func(f *journalFile) map[string][]ts {
			out := map[string][]ts{}
			for name, j := range f.journals {
				n := 0
				for tag, s := range j.Tagged() {
					out[name] = append(out[name], ts{tag, s})
					n++
				}
				if n != j.Len() {
					t.Fatalf("journal %s iterates %d samples of %d", name, n, j.Len())
				}
			}
			return out
		}
		want := collect(got)
		again, err := got.encode()
		if err != nil {
			return // a header that does not marshal (e.g. a time beyond year 9999)
		}
		back, err := decodeJournalFile(again, 1000)
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if g := collect(back); fmt.Sprint(g) != fmt.Sprint(want) {
			t.Fatalf("round trip changed the samples:\n%v\n%v", g, want)
		}
		c := &Controller{cfg: Config{Recommender: "vpa", MaxJournal: 1000}}
		if _, err := c.restoreState(got); err != nil {
			t.Fatalf("restore: %v", err)
		}
	})
}
