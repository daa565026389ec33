package main

import (
	"slices"
	"testing"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
)

// TestDefaultModelsInRange: every recommender of the program is created
// with its default model, so the shipped model files pass the range checks.
func TestDefaultModelsInRange(t *testing.T) {
	for _, n := range recommend.Names() {
		if _, err := recommend.New(n, recommend.Config{}); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// TestKnownCandidatesMatchRegistry: smart's list of the recommenders it can
// follow is every recommender of the program but smart itself.
func TestKnownCandidatesMatchRegistry(t *testing.T) {
	var want []string
	for _, n := range recommend.Names() {
		if n != smart.Name {
			want = append(want, n)
		}
	}
	got := slices.Sorted(slices.Values(smart.KnownCandidates))
	if !slices.Equal(got, want) {
		t.Fatalf("smart.KnownCandidates = %v, want %v", got, want)
	}
}
