package workloads

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// The generator configs: parsing (strict JSON, errors naming file, line and
// field), defaults and the embedded canonical configs.

// The canonical default configs; data/configs/workloads/*.json are copies
// (a test keeps them identical).
//
//go:embed configs/*.json
var configFS embed.FS

// DefaultConfig returns the shipped default JSON config of generator typ.
func DefaultConfig(typ string) ([]byte, error) {
	if _, ok := generators[typ]; !ok {
		return nil, unknownType(typ)
	}
	return configFS.ReadFile("configs/" + typ + ".json")
}

func unknownType(typ string) error {
	return fmt.Errorf("unknown workload type %q: use one of %s", typ, strings.Join(GeneratorTypes(), ", "))
}

// Duration is a time.Duration written in JSON as a Go duration string ("2h").
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration string such as "2h30m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"2h30m\", got %q", clip(s))
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// GeneratorConfig is the parsed config of one generator.
type GeneratorConfig struct {
	Type   string
	CPU    resourceParams
	Memory resourceParams
	// Request is the config's optional "request": the container's original
	// request, recorded in Meta.OriginalRequest. A zero field means the
	// default, DefaultRequestFactor times the resource's peak, rounded up
	// (see DefaultRequest).
	Request model.Resources

	name string // the config's name in messages
}

// Default original request of generated traces: DefaultRequestFactor times
// the peak the config allows (noise included), rounded up to a multiple of
// CPURequestStep millicores and MemoryRequestStep bytes, as an
// over-provisioned container would be configured.
const (
	DefaultRequestFactor = 1.5
	CPURequestStep       = 100.0          // millicores
	MemoryRequestStep    = 64 * model.MiB // bytes
)

// DefaultRequest returns the original request a generated trace of this
// config and duration gets when the config sets no "request" (or a zero
// field of it): DefaultRequestFactor times the peak of each resource over
// the duration, rounded up to CPURequestStep and MemoryRequestStep, and at
// least one step.
func (cfg *GeneratorConfig) DefaultRequest(duration time.Duration) model.Resources {
	return model.Resources{
		CPUMillicores: roundUpRequest(DefaultRequestFactor*cfg.CPU.peak(duration), CPURequestStep),
		MemoryBytes:   roundUpRequest(DefaultRequestFactor*cfg.Memory.peak(duration), MemoryRequestStep),
	}
}

func roundUpRequest(v, step float64) float64 {
	return math.Max(1, math.Ceil(v/step)) * step
}

// originalRequest is the config's request with zero fields set to the default.
func (cfg *GeneratorConfig) originalRequest(duration time.Duration) model.Resources {
	r, def := cfg.Request, cfg.DefaultRequest(duration)
	if r.CPUMillicores == 0 {
		r.CPUMillicores = def.CPUMillicores
	}
	if r.MemoryBytes == 0 {
		r.MemoryBytes = def.MemoryBytes
	}
	return r
}

// requestConfig is the optional "request" of a config.
type requestConfig struct {
	CPUMillicores float64 `json:"cpuMillicores"`
	MemoryBytes   float64 `json:"memoryBytes"`
}

// ParseConfig parses and validates a generator config; name is used in
// error messages. Unknown fields are errors (a typo must not pass silently);
// "_doc" holds documentation and is ignored. Besides "cpu" and "memory", a
// config may set "request": {"cpuMillicores": n, "memoryBytes": n}, the
// container's original request (a field left out or 0 takes the default, see
// GeneratorConfig.DefaultRequest).
func ParseConfig(typ string, data []byte, name string) (*GeneratorConfig, error) {
	g, ok := generators[typ]
	if !ok {
		return nil, unknownType(typ)
	}
	var top struct {
		Doc     json.RawMessage `json:"_doc"`
		CPU     json.RawMessage `json:"cpu"`
		Memory  json.RawMessage `json:"memory"`
		Request json.RawMessage `json:"request"`
	}
	if err := strictDecode(data, &top); err != nil {
		return nil, configError(name, data, "", err)
	}
	cfg := &GeneratorConfig{Type: typ, name: name}
	if raw := top.Request; len(raw) != 0 && string(raw) != "null" {
		if raw[0] != '{' {
			return nil, &InputError{File: name, Field: "request", Msg: `want an object such as {"cpuMillicores": 1000, "memoryBytes": 1073741824}`}
		}
		var r requestConfig
		if err := strictDecode(raw, &r); err != nil {
			return nil, configError(name, data, "request", err)
		}
		for _, f := range []struct {
			field string
			v     float64
		}{{"cpuMillicores", r.CPUMillicores}, {"memoryBytes", r.MemoryBytes}} {
			if err := nonNeg(f.field, f.v); err != nil {
				return nil, &InputError{File: name, Field: "request." + f.field, Msg: msgOf(err) + " (0 or left out: the default, 1.5 times the peak)"}
			}
		}
		cfg.Request = model.Resources{CPUMillicores: r.CPUMillicores, MemoryBytes: r.MemoryBytes}
	}
	for _, part := range []struct {
		field string
		raw   json.RawMessage
		dst   *resourceParams
	}{{"cpu", top.CPU, &cfg.CPU}, {"memory", top.Memory, &cfg.Memory}} {
		if len(part.raw) == 0 || string(part.raw) == "null" {
			return nil, &InputError{File: name, Field: part.field, Msg: "missing: every config sets cpu and memory"}
		}
		p := g.newParams()
		if err := strictDecode(part.raw, p); err != nil {
			return nil, configError(name, data, part.field+culprit(g, part.raw), err)
		}
		if err := p.validate(); err != nil {
			return nil, &InputError{File: name, Field: part.field + "." + fieldOf(err), Msg: msgOf(err)}
		}
		*part.dst = p
	}
	return cfg, nil
}

// culprit finds the field of raw whose value fails to decode on its own
// (errors from custom decoders carry no field name): ".name" or "".
func culprit(g genType, raw json.RawMessage) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return ""
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		var te *json.UnmarshalTypeError
		if err := strictDecode(one, g.newParams()); err != nil && !errors.As(err, &te) && !strings.HasPrefix(err.Error(), "json: unknown field") {
			return "." + k
		}
	}
	return ""
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func configError(name string, data []byte, prefix string, err error) error {
	ie := &InputError{File: name, Msg: err.Error()}
	join := func(f string) string {
		if prefix == "" {
			return f
		}
		if f == "" {
			return prefix
		}
		return prefix + "." + f
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		if prefix == "" {
			ie.Line = lineAt(data, se.Offset)
		}
		ie.Msg = "invalid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
	case errors.As(err, &te):
		ie.Field = join(te.Field)
		ie.Msg = fmt.Sprintf("want a %s, got JSON %s", te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		ie.Field = join(f)
		ie.Msg = "unknown field: check the spelling against the shipped config"
	case errors.Is(err, io.EOF):
		ie.Msg = "empty config: want a JSON object"
	default:
		ie.Field = prefix
		ie.Msg = strings.TrimPrefix(err.Error(), "json: ")
	}
	return ie
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// fieldErr is a validation error of one config field.
type fieldErr struct{ field, msg string }

func (e fieldErr) Error() string { return e.field + ": " + e.msg }

func fieldOf(err error) string {
	var fe fieldErr
	if errors.As(err, &fe) {
		return fe.field
	}
	return ""
}

func msgOf(err error) string {
	var fe fieldErr
	if errors.As(err, &fe) {
		return fe.msg
	}
	return err.Error()
}

func errf(field, format string, args ...any) error {
	return fieldErr{field, fmt.Sprintf(format, args...)}
}

func nonNeg(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return errf(field, "must be a number >= 0, got %g", v)
	}
	return nil
}

func fraction(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return errf(field, "must be between 0 and 1, got %g", v)
	}
	return nil
}

func positiveDur(field string, d Duration) error {
	if d <= 0 {
		return errf(field, "must be a positive duration, got %s", d.D())
	}
	return nil
}
