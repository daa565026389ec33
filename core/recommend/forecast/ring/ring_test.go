package ring

import (
	"slices"
	"testing"
)

// contents returns the values oldest first.
func contents(r *Ring[int]) []int {
	var out []int
	for i := range r.Len() {
		out = append(out, r.At(i))
	}
	return out
}

// TestRingMatchesSlice drives a ring and a plain slice (the behaviour the ring
// replaces) with the same pushes and front drops and compares them after every
// operation, across wrap-arounds and growth.
func TestRingMatchesSlice(t *testing.T) {
	for _, max := range []int{0, 1, 3, 8, 10, 37} {
		t.Run("", func(t *testing.T) {
			r := &Ring[int]{Max: max}
			var want []int
			for i := range 500 {
				r.Push(i)
				want = append(want, i)
				if max > 0 && len(want) > max {
					want = want[len(want)-max:]
				}
				if i%7 == 3 {
					k := i % 5
					r.DropFront(k)
					want = want[min(k, len(want)):]
				}
				if got := contents(r); !slices.Equal(got, want) {
					t.Fatalf("max %d after %d: ring %v, want %v", max, i, got, want)
				}
				if max > 0 && len(r.buf) > max {
					t.Fatalf("max %d: buffer of %d", max, len(r.buf))
				}
			}
		})
	}
}

func TestRingPtrUpdatesInPlace(t *testing.T) {
	r := &Ring[int]{Max: 4}
	for i := range 6 {
		r.Push(i)
	}
	*r.Ptr(r.Len() - 1) = 50
	if got, want := contents(r), []int{2, 3, 4, 50}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRingBufferStaysSteady(t *testing.T) {
	// A series of steady length (push one, drop one) keeps its buffer.
	r := &Ring[int]{}
	for i := range 60 {
		r.Push(i)
	}
	c := len(r.buf)
	for i := range 10000 {
		r.Push(i)
		r.DropFront(1)
	}
	if len(r.buf) != c {
		t.Fatalf("buffer grew from %d to %d at a steady length", c, len(r.buf))
	}
	if c > 60+60/4+1 {
		t.Fatalf("buffer of %d for 60 values: more than a quarter slack", c)
	}
}

func TestRingAtPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("At(1) on a ring of one value did not panic")
		}
	}()
	r := &Ring[int]{}
	r.Push(1)
	r.At(1)
}
