//go:build !linux

package stress

import (
	"errors"
	"io"
)

// ErrNoStressNG says the stress-ng backend cannot run here.
var ErrNoStressNG = errors.New("the stress-ng backend needs Linux: use --backend native")

// NewStressNG is only available on Linux.
func NewStressNG(workers int, log io.Writer) (Backend, error) { return nil, ErrNoStressNG }
