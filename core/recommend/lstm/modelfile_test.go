package lstm

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestModelFileRangeChecked: a model file with a valid checksum but
// parameters out of range is refused with one line naming the file and the
// field (weights of 1e308 gave +Inf targets; quantile 5 with margin -10 a
// negative CPU target).
func TestModelFileRangeChecked(t *testing.T) {
	valid := func() *Params {
		rng := rand.New(rand.NewPCG(1, 2))
		p := &Params{Window: time.Hour, Seq: 4, Hidden: 2}
		p.CPU = NetParams{Quantile: 0.9, Margin: 0.05, Weights: NewNet(Features, 2, rng).P}
		p.Memory = NetParams{Quantile: 0.98, Margin: 0.1, Weights: NewNet(Features, 2, rng).P}
		return p
	}
	n := (&Net{D: Features, H: 2}).NumParams()
	tests := []struct {
		name string
		edit func(*Params)
		want string // after "model file PATH: "; "" for a valid file
	}{
		{"valid", func(*Params) {}, ""},
		{"huge weight", func(p *Params) { p.CPU.Weights[3] = 1e308 }, "params.cpu.weights[3] is 1e+308, want a number from -10000 to 10000"},
		{"quantile 5", func(p *Params) { p.CPU.Quantile = 5 }, "params.cpu.quantile is 5, want a number from 0 to 1"},
		{"negative margin", func(p *Params) { p.Memory.Margin = -10 }, "params.memory.margin is -10, want a number from 0 to 10"},
		{"weights missing", func(p *Params) { p.Memory.Weights = p.Memory.Weights[:5] }, "params.memory.weights has 5 values, want " + strconv.Itoa(n) + " to " + strconv.Itoa(n)},
		{"zero seq", func(p *Params) { p.Seq = 0 }, "params.seq is 0, want 1 to 10000"},
		{"huge hidden", func(p *Params) { p.Hidden = 1 << 30 }, "params.hidden is 1073741824, want 1 to 1024"},
		{"zero window", func(p *Params) { p.Window = 0 }, "params.window is 0s (0 ns), want 1m0s to 168h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.edit(p)
			f, err := modelfile.New("lstm", 1, modelfile.TrainingSet{}, p)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "lstm.json")
			if err := f.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			_, err = recommend.New("lstm", recommend.Config{ModelFile: path})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			want := "model file " + path + ": " + tt.want + ": fix the file or retrain it with 'kubectl smartvpa train': invalid model file"
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
		})
	}
}
