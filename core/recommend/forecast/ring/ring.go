// Package ring is a first-in first-out queue on a circular buffer, for the
// bounded series the recommenders keep per container (closed windows, hourly
// peaks, recent recommendations).
//
// It replaces slices that were appended to at the back and re-sliced or
// copied at the front. Serve keeps one recommender per container for as long
// as the container lives, so what counts is the steady state: a ring reuses
// the slots of the values that left, so a series of steady length keeps one
// buffer of that length, and it grows by a quarter (never beyond Max), so
// little of the buffer is slack, where append doubles.
package ring

// Ring is a FIFO queue. The zero value is an empty, unbounded ring.
type Ring[T any] struct {
	// Max, when positive, bounds the number of values: Push drops the
	// oldest when the ring holds Max values, and the buffer never grows
	// beyond Max.
	Max int

	buf  []T
	head int // index in buf of the oldest value
	n    int
}

// Len returns the number of values.
func (r *Ring[T]) Len() int { return r.n }

// At returns the i-th oldest value (0 is the oldest, Len()-1 the newest).
func (r *Ring[T]) At(i int) T { return r.buf[r.index(i)] }

// Ptr returns a pointer to the i-th oldest value, valid until the next Push.
func (r *Ring[T]) Ptr(i int) *T { return &r.buf[r.index(i)] }

func (r *Ring[T]) index(i int) int {
	if i < 0 || i >= r.n {
		panic("ring: index out of range")
	}
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return j
}

// Push appends x as the newest value (dropping the oldest when the ring holds
// Max values).
func (r *Ring[T]) Push(x T) {
	if r.Max > 0 && r.n >= r.Max {
		r.DropFront(r.n - r.Max + 1)
	}
	if r.n == len(r.buf) {
		r.grow()
	}
	j := r.head + r.n
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	r.buf[j] = x
	r.n++
}

// DropFront removes the k oldest values (all of them if k >= Len()).
func (r *Ring[T]) DropFront(k int) {
	k = min(k, r.n)
	var zero T
	for i := 0; i < k; i++ {
		r.buf[r.head] = zero // let the GC have what T points to
		r.head++
		if r.head == len(r.buf) {
			r.head = 0
		}
	}
	r.n -= k
}

// grow makes room for at least one more value: a quarter more (at least 8),
// within Max.
func (r *Ring[T]) grow() {
	c := max(8, len(r.buf)+len(r.buf)/4)
	if r.Max > 0 && c > r.Max {
		c = r.Max
	}
	buf := make([]T, c)
	for i := 0; i < r.n; i++ {
		buf[i] = r.At(i)
	}
	r.buf, r.head = buf, 0
}
