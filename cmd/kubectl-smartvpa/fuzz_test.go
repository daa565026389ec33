package main

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// fuzzModelRecommenders are the recommenders that read model files.
var fuzzModelRecommenders = []string{"autopilot", "lstm", "bandit", "smart"}

// FuzzModelParams gives each recommender that reads a model file arbitrary
// parameters in a file with a valid checksum (the hostile case: an edited
// file with its checksum recomputed). Creating the recommender must refuse
// them with one line wrapping modelfile.ErrInvalid, or accept them; an
// accepted model must never panic and, even without recommend.New's guard,
// never recommend a negative, NaN or infinite value.
func FuzzModelParams(f *testing.F) {
	for i, n := range fuzzModelRecommenders {
		b, err := os.ReadFile(filepath.Join("testdata", "models", n+".json"))
		if err != nil {
			f.Fatal(err)
		}
		var file modelfile.File
		if err := json.Unmarshal(b, &file); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), []byte(file.Params))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, which uint8, params []byte) {
		name := fuzzModelRecommenders[int(which)%len(fuzzModelRecommenders)]
		if !json.Valid(params) {
			return
		}
		mf, err := modelfile.New(name, 1, modelfile.TrainingSet{}, json.RawMessage(params))
		if err != nil {
			return
		}
		path := filepath.Join(dir, name+".json")
		if err := mf.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		r, err := recommend.New(name, recommend.Config{ModelFile: path})
		if err != nil {
			if !errors.Is(err, modelfile.ErrInvalid) || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("refusal %q: want one line wrapping ErrInvalid", err)
			}
			return
		}
		raw := recommend.Unwrap(r)
		rng := rand.New(rand.NewPCG(uint64(which), 7))
		t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		for i := range 600 {
			now := t0.Add(time.Duration(i) * 5 * time.Minute)
			raw.AddSample(model.Sample{Time: now, CPUMillicores: 1000 * rng.Float64(), MemoryBytes: model.GiB * rng.Float64()})
			if i == 300 {
				raw.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: model.GiB / 2, MemoryUsageBytes: model.GiB / 2})
			}
			if i%25 == 0 {
				if rec, ok := raw.Recommend(now); ok {
					if bad := recommend.Invalid(rec, false); bad != "" {
						t.Fatalf("%s with params %s recommends %s", name, params, bad)
					}
				}
			}
		}
		_ = raw.Explain(t0.Add(50 * time.Hour))
	})
}

// FuzzLongDuration parses arbitrary d/w durations: never a panic, and an
// accepted one is what its parts add up to, within a time.Duration.
func FuzzLongDuration(f *testing.F) {
	for _, s := range []string{"8d", "1w2d", "1d12h", "90m", "106751d", "53376d53376d53376d53376d", "1.5d", "1d-5m", "99999999999999999999w", "9223372036854775807ns", "0d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseLongDuration(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if d == 0 && s != "" && !strings.ContainsAny(s, "0123456789") {
			t.Fatalf("%q parsed to 0 without digits", s)
		}
		// A whole number of days parses to exactly that many days.
		if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && !strings.ContainsAny(days, ".dwhmsnuµ-+") {
			if d%(24*time.Hour) != 0 {
				t.Fatalf("%q parsed to %s, not whole days", s, d)
			}
		}
	})
}
