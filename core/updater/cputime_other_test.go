//go:build !unix

package updater

import "time"

// cpuTime is not measured here: samples/cpu-s is not reported.
func cpuTime() time.Duration { return 0 }
