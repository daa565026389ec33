package main

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// walk calls f on cmd and every command below it, cobra's own help and
// completion commands left out.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, c := range cmd.Commands() {
		if c.Name() == "help" || strings.HasPrefix(c.Name(), "__") {
			continue
		}
		walk(c, f)
	}
}

// Every command that runs something runs an XOptions value through bind
// (Complete(cmd, args), Validate(), Run(ctx)); a command with subcommands
// only groups them.
func TestCommandShape(t *testing.T) {
	c := newCLI(genericiooptions.IOStreams{})
	root := c.root()
	var leaves []string
	seen := map[*cobra.Command]bool{}
	walk(root, func(cmd *cobra.Command) {
		path := cmd.CommandPath()
		o, bound := c.bound[cmd]
		if cmd.HasSubCommands() {
			if bound {
				t.Errorf("%s: a group runs no options", path)
			}
			if cmd.RunE == nil {
				t.Errorf("%s: a group prints its help", path)
			}
			return
		}
		leaves = append(leaves, strings.TrimPrefix(path, rootName+" "))
		if !bound {
			t.Errorf("%s: not bound to an Options value (use cli.bind)", path)
			return
		}
		seen[cmd] = true
		typ := reflect.TypeOf(o)
		if typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct || !strings.HasSuffix(typ.Elem().Name(), "Options") {
			t.Errorf("%s runs a %v: want a pointer to an XOptions struct", path, typ)
		}
		if !cmd.SilenceUsage {
			t.Errorf("%s prints its usage on errors", path)
		}
	})
	for cmd := range c.bound {
		if !seen[cmd] {
			t.Errorf("%s is bound but not in the command tree", cmd.CommandPath())
		}
	}
	sort.Strings(leaves)
	want := "apply audit backtest completion emulate recommend serve simulate stress agent stress delete stress local stress run stress server train ui version workload generate workload import workload list workload show"
	if got := strings.Join(leaves, " "); got != want {
		t.Errorf("commands:\n got %s\nwant %s", got, want)
	}
}

// -o is one flag everywhere: the first format is the default, another value
// is a usage error naming the formats, "" means the default, and the shell
// completes the formats.
func TestOutputFlag(t *testing.T) {
	tests := []struct {
		cmd     []string
		formats string
	}{
		{[]string{"audit"}, "table, json or junit"},
		{[]string{"backtest"}, "table, json or csv"},
		{[]string{"emulate"}, "table or json"},
		{[]string{"recommend"}, "table, wide, json, yaml, csv or patch"},
		{[]string{"simulate"}, "table, json or csv"},
		{[]string{"stress", "local"}, "table or json"},
		{[]string{"version"}, "text or json"},
		{[]string{"workload", "list"}, "table or json"},
		{[]string{"workload", "show"}, "text or json"},
	}
	c := newCLI(genericiooptions.IOStreams{})
	root := c.root()
	for _, tt := range tests {
		name := strings.Join(tt.cmd, " ")
		t.Run(name, func(t *testing.T) {
			cmd, _, err := root.Find(tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			fl := cmd.Flags().Lookup("output")
			formats := strings.Split(strings.NewReplacer(" or ", ", ").Replace(tt.formats), ", ")
			if fl == nil || fl.Shorthand != "o" || fl.DefValue != formats[0] || fl.Usage != "output format: "+tt.formats {
				t.Fatalf("-o flag %+v: want default %s and usage listing %s", fl, formats[0], tt.formats)
			}
			args := append(append([]string(nil), tt.cmd...), "-o", "xml")
			if name == "workload show" {
				args = append(args, "some-id")
			}
			code, out, stderr := runArgs(args...)
			want := "error: unknown output format \"xml\": use " + tt.formats + "; run 'kubectl smartvpa " + name + " --help' for usage\n"
			if code != exitUsage || out != "" || stderr != want {
				t.Errorf("-o xml: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, stderr, want)
			}
			comp := append(append([]string{"__complete"}, tt.cmd...), "-o", "")
			_, out, _ = runArgs(comp...)
			if got := strings.Join(strings.Split(out, "\n")[:len(formats)], ", "); got != strings.Join(formats, ", ") {
				t.Errorf("completion of -o: %q, want the formats %s", out, strings.Join(formats, ", "))
			}
		})
	}
	// "" is the default, as kubectl's -o ''.
	code, out, _ := runArgs("version", "-o", "")
	if code != 0 || !strings.HasPrefix(out, "smartvpa ") {
		t.Errorf("version -o '': exit %d, output %q; want the text form", code, out)
	}
}

func TestOrList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{{[]string{"json"}, "json"}, {[]string{"table", "json"}, "table or json"}, {[]string{"a", "b", "c"}, "a, b or c"}}
	for _, tt := range tests {
		if got := orList(tt.in); got != tt.want {
			t.Errorf("orList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
