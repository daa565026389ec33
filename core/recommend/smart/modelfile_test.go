package smart

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestModelFileRangeChecked: a model file with a valid checksum but options
// out of range, an unknown profile or a candidate no recommender has, is
// refused with one line
// naming the file and the field.
func TestModelFileRangeChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string // after "model file PATH: "; "" for a valid file
	}{
		{"valid", func(*Options) {}, ""},
		{"unknown profile", func(o *Options) { o.Profile = "cheap" }, `params.profile is "cheap", not a profile (reliability, balanced, savings)`},
		{"unknown candidate", func(o *Options) { o.Candidates = []string{"vpaa"} }, `params.candidates[0] is "vpaa", not a recommender smart can follow (vpa, forecast, holt-winters, ar, autopilot, autopilot-window, lstm, bandit)`},
		{"zero half-life", func(o *Options) { o.ScoreHalfLife = 0 }, "params.scoreHalfLife is 0s (0 ns), want 1m0s to 87600h0m0s"},
		{"short horizon", func(o *Options) { o.MinHorizon = time.Minute }, "params.minHorizon is 1m0s (60000000000 ns), want 5m0s to 720h0m0s"},
		{"no cpu days", func(o *Options) { o.CPUDays = 0 }, "params.cpuDays is 0, want 1 to 28"},
		{"window beyond the history", func(o *Options) { o.MemoryWindow = 9 * 24 * time.Hour }, "params.memoryWindow is 216h0m0s (777600000000000 ns), want 1h0m0s to 192h0m0s"},
		{"quantile above 1", func(o *Options) { o.MemoryQuantile = 1.5 }, "params.memoryQuantile is 1.5, want a number from 0 to 1"},
		{"negative hysteresis", func(o *Options) { o.MemoryHysteresis = -1 }, "params.memoryHysteresis is -1, want a number from 0 to 10"},
		{"crash loop power 4", func(o *Options) { o.OOMLoopStreak = 4 }, "params.oomLoopStreak is 4, want 1 to 3"},
		{"long crash loop power 4", func(o *Options) { o.OOMLoopStreakLong = 4 }, "params.oomLoopStreakLong is 4, want 1 to 3"},
		{"long streak factor 1", func(o *Options) { o.OOMStreakFactorLong = 1 }, "params.oomStreakFactorLong is 1, want a number from 1.01 to 10"},
		{"negative size floor", func(o *Options) { o.CPUWeightSizeFloor = -1 }, "params.cpuWeightSizeFloor is -1, want a number from 0 to 1e+06"},
		{"share ceiling below 1", func(o *Options) { o.CPUShareCeiling = 0.5 }, "params.cpuShareCeiling is 0.5, want a number from 1 to 1000"},
		{"negative gap", func(o *Options) { o.MemoryDecreaseGap = -time.Hour }, "params.memoryDecreaseGap is -1h0m0s (-3600000000000 ns), want 0s to 8760h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.edit(&o)
			path, err := loadModel(t, o)
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

// loadModel writes a model file with options o and creates smart from it; it
// returns the file's path and the error of the creation.
func loadModel(t *testing.T, o Options) (string, error) {
	t.Helper()
	f, err := modelfile.New(Name, 1, modelfile.TrainingSet{}, o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "smart.json")
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	_, err = recommend.New(Name, recommend.Config{ModelFile: path})
	return path, err
}
