package autopilot

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestModelFileRangeChecked: a model file with a valid checksum but options
// out of range is refused with one line naming the file and the field
// (empty halfLives used to panic with index out of range [-1]).
func TestModelFileRangeChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(*MLOptions)
		want string // after "model file PATH: "
	}{
		{"empty halfLives", func(o *MLOptions) { o.CPU.HalfLives = nil }, "params.cpu.halfLives is empty, want 1 to 64 values"},
		{"empty margins", func(o *MLOptions) { o.Memory.Margins = []float64{} }, "params.memory.margins is empty, want 1 to 64 values"},
		{"negative margin", func(o *MLOptions) { o.CPU.Margins[1] = -10 }, "params.cpu.margins[1] is -10, want a number from 0 to 10"},
		{"zero half-life", func(o *MLOptions) { o.Memory.HalfLives[2] = 0 }, "params.memory.halfLives[2] is 0s (0 ns), want 1s to 87600h0m0s"},
		{"huge floor", func(o *MLOptions) { o.CPU.Floor = 1e308 }, "params.cpu.floor is 1e+308, want a number from 0 to 1e+15"},
		{"negative weight", func(o *MLOptions) { o.Memory.WOverrun = -1 }, "params.memory.wOverrun is -1, want a number from 0 to 1e+06"},
		{"zero cost half-life", func(o *MLOptions) { o.CPU.CostHalfLife = 0 }, "params.cpu.costHalfLife is 0s (0 ns), want 1s to 87600h0m0s"},
		{"zero step", func(o *MLOptions) { o.Step = 0 }, "params.step is 0s (0 ns), want 1s to 24h0m0s"},
		{"negative minSteps", func(o *MLOptions) { o.MinSteps = -1 }, "params.minSteps is -1, want 0 to 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultMLOptions()
			o.CPU.HalfLives = append([]time.Duration(nil), o.CPU.HalfLives...)
			o.Memory.HalfLives = append([]time.Duration(nil), o.Memory.HalfLives...)
			tt.edit(&o)
			f, err := modelfile.New("autopilot", 1, modelfile.TrainingSet{}, o)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "autopilot.json")
			if err := f.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			_, err = recommend.New("autopilot", recommend.Config{ModelFile: path})
			want := "model file " + path + ": " + tt.want + ": fix the file or retrain it with 'kubectl smartvpa train': invalid model file"
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
		})
	}
	c := modelfile.CheckerFor("defaults")
	DefaultMLOptions().Check(c)
	if err := c.Err(); err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
}
