package bandit

import (
	"path/filepath"
	"testing"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestModelFileRangeChecked: a model file with a valid checksum but
// parameters out of range is refused with one line naming the file and the
// field.
func TestModelFileRangeChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
		want string // after "model file PATH: "; "" for a valid file
	}{
		{"valid", func(*Params) {}, ""},
		{"empty cpu multipliers", func(p *Params) { p.CPUMultipliers = nil }, "params.cpuMultipliers is empty, want 1 to 64 values"},
		{"negative multiplier", func(p *Params) { p.MemoryMultipliers[0] = -2 }, "params.memoryMultipliers[0] is -2, want a number from 0.01 to 100"},
		{"zero window", func(p *Params) { p.Window = 0 }, "params.window is 0s (0 ns), want 1m0s to 24h0m0s"},
		{"short q", func(p *Params) { p.Q = p.Q[:3] }, "params.q has 3 values, want 108 to 108"},
		{"short q row", func(p *Params) { p.Q[7] = p.Q[7][:1] }, "params.q[7] has 1 values, want 20 to 20"},
		{"negative count", func(p *Params) { p.N[2][4] = -1 }, "params.n[2][4] is -1, want 0 to 9223372036854775807"},
		{"negative penalty", func(p *Params) { p.OverRequestPenalty = -1 }, "params.overRequestPenalty is -1, want a number from 0 to 1e+06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.edit(p)
			f, err := modelfile.New(Name, 1, modelfile.TrainingSet{}, p)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "bandit.json")
			if err := f.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			_, err = recommend.New(Name, recommend.Config{ModelFile: path})
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
