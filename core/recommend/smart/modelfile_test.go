package smart

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestModelFileRangeChecked: a model file with a valid checksum but options
// out of range, or a candidate no recommender has, is refused with one line
// naming the file and the field.
func TestModelFileRangeChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string // after "model file PATH: "; "" for a valid file
	}{
		{"valid", func(*Options) {}, ""},
		{"unknown candidate", func(o *Options) { o.Candidates = append(o.Candidates, "vpaa") }, `params.candidates[6] is "vpaa", not a recommender smart can follow (vpa, forecast, holt-winters, ar, autopilot, autopilot-window, lstm, rl)`},
		{"unknown memory candidate", func(o *Options) { o.MemoryCandidates = []string{"smart"} }, `params.memoryCandidates[0] is "smart", not a recommender smart can follow (vpa, forecast, holt-winters, ar, autopilot, autopilot-window, lstm, rl)`},
		{"zero half-life", func(o *Options) { o.CostHalfLife = 0 }, "params.costHalfLife is 0s (0 ns), want 1m0s to 87600h0m0s"},
		{"negative margin", func(o *Options) { o.CPUMargin = -10 }, "params.cpuMargin is -10, want a number from 0 to 10"},
		{"over target 1", func(o *Options) { o.CPUOverTarget = 1 }, "params.cpuOverTarget is 1, want a number from -1 to 0.99"},
		{"no peaks", func(o *Options) { o.MemoryPeaks = nil }, "params.memoryPeaks is empty, but memoryPeaksOnly needs at least one"},
		{"zero peak window", func(o *Options) { o.MemoryPeaks[1].Window = 0 }, "params.memoryPeaks[1].window is 0s (0 ns), want 1m0s to 8760h0m0s"},
		{"huge peak margin", func(o *Options) { o.MemoryPeaks[0].Margin = 1e300 }, "params.memoryPeaks[0].margin is 1e+300, want a number from 0 to 10"},
		{"negative hysteresis", func(o *Options) { o.MemoryHysteresis = -1 }, "params.memoryHysteresis is -1, want a number from 0 to 10"},
		{"negative gap", func(o *Options) { o.MemoryDecreaseGap = -time.Hour }, "params.memoryDecreaseGap is -1h0m0s (-3600000000000 ns), want 0s to 8760h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.edit(&o)
			f, err := modelfile.New(Name, 1, modelfile.TrainingSet{}, o)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "smart.json")
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
