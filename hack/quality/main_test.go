package main

import (
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
)

// TestSmartChoices: the report states what smart's sweep chose in a fold.
func TestSmartChoices(t *testing.T) {
	o := smart.DefaultOptions()
	o.OverrunWeights = map[string]float64{"reliability": 256, "balanced": 45.25, "savings": 2.83}
	o.CPUWeightSizeExponent, o.CPUWeightSizeFloor, o.MemoryQuantile, o.MemoryHysteresis = 0.25, 250, 0.95, 1
	o.MemoryDecreaseGap, o.OOMStreakFactor, o.OOMToPlan = 96*time.Hour, 2, true
	o.MemoryDecreaseStep, o.OOMTrimHold, o.OOMLoopStreak = 0.35, 2*time.Hour, 3
	m, err := modelfile.New(smart.Name, 1, modelfile.TrainingSet{}, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := smartChoices(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "smart's sweep chose: CPU weights 256 / 45.25 / 2.83 (reliability / balanced / savings), size power 0.25 (a container below 250m weighed as one of 250m); memory: 0.95 quantile of the hourly peaks, hysteresis 1, 96 h between decreases, a decrease to at least 0.35 x the target, a bump falls back 2 h after the last kill, streak factor 2 (a crash loop at one request: its power 3), kill to the next plan yes."
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	m.Params = []byte(`{"memoryHysteresis": "x"}`)
	if _, err := smartChoices(m); err == nil {
		t.Error("parameters that are not smart's: no error")
	}
}
