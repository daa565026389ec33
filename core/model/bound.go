package model

// NoBound is upstream VPA's MaxResourceAmount, 1e14 millicores or bytes:
// the value its estimator caps a bound at. With a few minutes of history the
// upper bound's confidence factor grows without limit, so an upper bound at
// or above NoBound is "no bound yet", not 100 kilo-cores or 90 TiB.
const NoBound = 1e14

// Bounded reports whether an upper bound v is a bound (below NoBound).
func Bounded(v float64) bool { return v < NoBound }
