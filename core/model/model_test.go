package model

import "testing"

func TestResourcesGetSet(t *testing.T) {
	var x Resources
	if !x.IsZero() {
		t.Fatal("zero Resources should be zero")
	}
	x = x.Set(CPU, 250).Set(Memory, 64*MiB)
	tests := []struct {
		r    Resource
		want float64
	}{{CPU, 250}, {Memory, 64 * MiB}}
	for _, tt := range tests {
		t.Run(string(tt.r), func(t *testing.T) {
			if got := x.Get(tt.r); got != tt.want {
				t.Fatalf("Get(%s) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
	if got, want := x.String(), "cpu=250m memory=64Mi"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if x.IsZero() {
		t.Fatal("non-zero Resources reported zero")
	}
}

func TestRecommendationIsZero(t *testing.T) {
	if !(Recommendation{}).IsZero() {
		t.Fatal("empty recommendation should be zero")
	}
	if (Recommendation{Target: Resources{CPUMillicores: 1}}).IsZero() {
		t.Fatal("recommendation with a target reported zero")
	}
}
