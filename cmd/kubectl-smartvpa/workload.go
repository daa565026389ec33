package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/workloads"
)

func init() { subcommands = append(subcommands, newWorkloadCmd) }

// newWorkloadCmd groups the workload subcommands: generate, import, list, show.
func newWorkloadCmd(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workload",
		Short: "Generate, import, list and show usage traces (workloads)",
		Long: `Generate synthetic usage traces or import public ones, and inspect them.

A workload is a directory <store>/<id>/ holding trace.csv (header
timestamp,cpu_millicores,memory_bytes; timestamp in Unix seconds) and meta.json
(source, unit conversions, interval, original request). The store is
data/workloads unless --out (generate, import) or --dir (list, show) says
otherwise. The simulator and the stress system read workloads from there.`,
		Example: `  kubectl smartvpa workload generate --type sinusoidal --seed 7
  kubectl smartvpa workload import --format bitbrains ../shared/traces/bitbrains-rnd-2013-7/*.csv
  kubectl smartvpa workload list
  kubectl smartvpa workload show bitbrains-1 --plot`,
		Args:         noArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newWorkloadGenerateCmd(streams),
		newWorkloadImportCmd(configFlags, streams),
		newWorkloadListCmd(streams),
		newWorkloadShowCmd(streams),
	)
	return cmd
}

var wlDayPart = regexp.MustCompile(`^(\d+(?:\.\d+)?)([dw])`)

// wlParseLongDuration parses a Go duration that may start with days or weeks:
// "8d", "1w2d", "1d12h", "90m". The total must fit a time.Duration (about
// 292 years): a longer one is refused, not wrapped around.
func wlParseLongDuration(s string) (time.Duration, error) {
	orig := s
	tooLong := fmt.Errorf("duration %q is too long: at most %s (about 292 years)", orig, wlMaxDurationText)
	var total time.Duration
	for {
		m := wlDayPart.FindStringSubmatch(s)
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
		if strings.Contains(err.Error(), "invalid duration") && wlDigitsOnly.MatchString(s) {
			return 0, tooLong
		}
		return 0, fmt.Errorf("not a duration %q: use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m", orig)
	}
	if d > 0 && d > math.MaxInt64-total {
		return 0, tooLong
	}
	return total + d, nil
}

// wlDigitsOnly matches what time.ParseDuration refuses only for its size.
var wlDigitsOnly = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

var wlMaxDurationText = strconv.FormatInt(int64(math.MaxInt64/(24*time.Hour)), 10) + "d"

// wlSave saves traces into the store at dir as one unit. Until they are in
// place, SIGINT and SIGTERM make it stop and remove what it staged (the
// store sweeps what a killed write left at its next write). A workload that
// exists is replaced only with overwrite: else the error says to pass
// --overwrite (exit 2).
func wlSave(dir string, overwrite bool, traces []*workloads.Trace) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st := workloads.OpenStore(dir)
	st.Overwrite = overwrite
	if _, err := st.SaveAllContext(ctx, traces); err != nil {
		if errors.Is(err, workloads.ErrExists) {
			return inputError(fmt.Errorf("%w: pass --overwrite to replace it, or choose another id or --out", err))
		}
		return inputError(fmt.Errorf("save workload: %w", err))
	}
	return nil
}

// wlDurationFlag is a pflag.Value for durations with days and weeks.
type wlDurationFlag struct{ d *time.Duration }

func (f wlDurationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0" // pflag shows no default for "0"
	}
	d := *f.d
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (f wlDurationFlag) Set(s string) error {
	d, err := wlParseLongDuration(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (f wlDurationFlag) Type() string { return "duration" }

// wlParseStart parses an RFC 3339 --start flag; "" means the default.
func wlParseStart(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid --start %q: use RFC 3339, e.g. 2026-01-05T00:00:00Z", s)
	}
	if t.Year() < wlMinStartYear || t.Year() >= wlMaxStartYear {
		return time.Time{}, fmt.Errorf("invalid --start %q: use a time from %d to %d (trace.csv holds Unix seconds, and the trace must end before year 10000)", s, wlMinStartYear, wlMaxStartYear-1)
	}
	return t.UTC(), nil
}

// The years --start may be in.
const (
	wlMinStartYear = 1970
	wlMaxStartYear = 9000
)

// wlDefaultStartText is DefaultStart as shown in help.
var wlDefaultStartText = workloads.DefaultStart.Format(time.RFC3339)
