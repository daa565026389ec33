package models

import (
	"testing"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// TestDefaultsParse checks every shipped model parses for its recommender.
func TestDefaultsParse(t *testing.T) {
	names := modelfile.Defaults()
	if len(names) == 0 {
		t.Fatal("no default models embedded")
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			f, err := modelfile.Resolve("", n)
			if err != nil || f == nil || f.Recommender != n {
				t.Fatalf("default model %s: %+v %v", n, f, err)
			}
		})
	}
}
