package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// stubSource returns a fixed history or error.
type stubSource struct {
	name string
	h    *History
	err  error
}

func (s *stubSource) Name() string { return s.name }
func (s *stubSource) History(context.Context, []*Workload, time.Time) (*History, error) {
	return s.h, s.err
}

func TestPerContainer(t *testing.T) {
	a := ContainerKey{Workload: "demo/Deployment/web", Container: "a"}
	b := ContainerKey{Workload: "demo/Deployment/web", Container: "b"}
	samples := func(n int) []model.Sample {
		out := make([]model.Sample, n)
		for i := range out {
			out[i] = model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: 100}
		}
		return out
	}
	hist := func(name string, low bool, s map[ContainerKey]int, cps ...ContainerKey) *History {
		h := NewHistory(name)
		h.LowConfidence = low
		for k, n := range s {
			h.Samples[k] = samples(n)
			h.Throttled[k] = 0.5
		}
		for _, k := range cps {
			h.Checkpoints[k] = &VPACheckpoint{Name: "web-" + k.Container}
		}
		h.Notes = []string{name + " note"}
		return h
	}
	tests := []struct {
		name        string
		sources     []HistorySource
		wantErr     string
		samples     map[ContainerKey]int
		checkpoints []ContainerKey
		low         bool
		notes       []string
	}{{
		name: "first with evidence wins per container",
		sources: []HistorySource{
			&stubSource{name: "one", h: hist("one", false, map[ContainerKey]int{a: 3})},
			&stubSource{name: "two", h: hist("two", true, map[ContainerKey]int{a: 9}, b)},
		},
		samples: map[ContainerKey]int{a: 3}, checkpoints: []ContainerKey{b}, low: true,
		notes: []string{"one note", "two note", "x: containers by source (the first with evidence for a container wins): 1 from one, 1 from two"},
	}, {
		name: "an unused source's low confidence does not count",
		sources: []HistorySource{
			&stubSource{name: "one", h: hist("one", false, map[ContainerKey]int{a: 3, b: 1})},
			&stubSource{name: "two", h: hist("two", true, map[ContainerKey]int{a: 9})},
		},
		samples: map[ContainerKey]int{a: 3, b: 1}, notes: []string{"one note", "x: two not used (an earlier source had evidence for each of its containers)"},
	}, {
		name: "partial samples give way to a later whole-history checkpoint, not to later samples",
		sources: []HistorySource{
			&stubSource{name: "one", h: func() *History {
				h := hist("one", false, map[ContainerKey]int{a: 3, b: 4})
				h.Partial = map[ContainerKey]bool{a: true, b: true}
				return h
			}()},
			&stubSource{name: "two", h: hist("two", false, map[ContainerKey]int{b: 9}, a)},
		},
		samples: map[ContainerKey]int{b: 4}, checkpoints: []ContainerKey{a},
		notes: []string{"one note", "two note", "x: 1 container(s) whose samples cover only the recent part of their history use a whole-history checkpoint instead",
			"x: containers by source (the first with evidence for a container wins): 1 from one, 1 from two"},
	}, {
		name: "a failing source is a note while another answers",
		sources: []HistorySource{
			&stubSource{name: "one", err: errors.New("boom")},
			&stubSource{name: "two", h: hist("two", false, nil, a)},
		},
		checkpoints: []ContainerKey{a}, notes: []string{"one (one): boom", "two note", "x: containers by source (the first with evidence for a container wins): 1 from two"},
	}, {
		name: "all failing is an error",
		sources: []HistorySource{
			&stubSource{name: "one", err: errors.New("boom")},
			&stubSource{name: "two", err: errors.New("bang")},
		},
		wantErr: "boom\nbang",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &PerContainer{Label: "x", Sources: tc.sources}
			h, err := p.History(context.Background(), nil, t0)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Source != "x" || h.LowConfidence != tc.low || len(h.Samples) != len(tc.samples) || len(h.Checkpoints) != len(tc.checkpoints) {
				t.Fatalf("history %+v", h)
			}
			for k, n := range tc.samples {
				if len(h.Samples[k]) != n || h.Throttled[k] != 0.5 {
					t.Fatalf("%v: %d samples (want %d), throttled %v", k, len(h.Samples[k]), n, h.Throttled[k])
				}
			}
			for _, k := range tc.checkpoints {
				if h.Checkpoints[k] == nil {
					t.Fatalf("%v: no checkpoint", k)
				}
			}
			if strings.Join(h.Notes, "|") != strings.Join(tc.notes, "|") {
				t.Fatalf("notes %q, want %q", h.Notes, tc.notes)
			}
		})
	}
}
