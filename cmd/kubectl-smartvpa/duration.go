package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The one parser of long durations: Go durations with days (d) and weeks (w).

var dayPart = regexp.MustCompile(`^(\d+(?:\.\d+)?)([dw])`)

// parseLongDuration parses a Go duration that may start with days or weeks:
// "8d", "1w2d", "1d12h", "90m". The total must fit a time.Duration (about
// 292 years): a longer one is refused, not wrapped around.
func parseLongDuration(s string) (time.Duration, error) {
	orig := s
	tooLong := fmt.Errorf("duration %q is too long: at most %s (about 292 years)", orig, maxDurationText)
	var total time.Duration
	for {
		m := dayPart.FindStringSubmatch(s)
		if m == nil {
			break
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		part := n * float64(unit)
		if !(part < float64(math.MaxInt64)) || time.Duration(part) > math.MaxInt64-total {
			return 0, tooLong
		}
		total += time.Duration(part)
		s = s[len(m[0]):]
	}
	if s == "" {
		if total == 0 && orig != "" {
			return 0, errors.New("must be positive")
		}
		if orig == "" {
			return 0, errors.New("empty duration")
		}
		return total, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.Contains(err.Error(), "invalid duration") && digitsOnly.MatchString(s) {
			return 0, tooLong
		}
		return 0, fmt.Errorf("not a duration %q: use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m", orig)
	}
	if d > 0 && d > math.MaxInt64-total {
		return 0, tooLong
	}
	return total + d, nil
}

// digitsOnly matches what time.ParseDuration refuses only for its size.
var digitsOnly = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

var maxDurationText = strconv.FormatInt(int64(math.MaxInt64/(24*time.Hour)), 10) + "d"

// durationFlag is the pflag.Value of every duration flag that may be long
// (history, warm-up, workload lengths): parseLongDuration's syntax.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0" // pflag shows no default for "0"
	}
	return formatDuration(*f.d)
}

// formatDuration prints a duration the way people give it and
// parseLongDuration reads it back: "4d", "1d12h", "5m", "1m30s", "250ms";
// never "3d23h55m" for four days of samples (a trace's duration is its
// samples times its interval) nor "24h0m0s".
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Second {
		return d.String()
	}
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	out := ""
	if days > 0 {
		out += strconv.FormatInt(int64(days), 10) + "d"
	}
	if h > 0 {
		out += strconv.FormatInt(int64(h), 10) + "h"
	}
	if m > 0 {
		out += strconv.FormatInt(int64(m), 10) + "m"
	}
	if s > 0 || out == "" {
		out += strconv.FormatInt(int64(s), 10) + "s"
	}
	return out
}

func (f durationFlag) Set(s string) error {
	d, err := parseLongDuration(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (f durationFlag) Type() string { return "duration" }
