#!/usr/bin/env bash
# Remakes the pictures of the TUI (docs/tui.md): runs `kubectl smartvpa ui --demo`
# under tmux at 110x32, captures the table and a detail view with their
# colours, and turns them into SVG (docs/tui-svg.go) and plain text.
#
#   docs/tui.sh     writes docs/tui-table.svg, docs/tui-detail.svg and docs/tui-*.txt
#
# Needs tmux and Go; BIN overrides the binary (default bin/kubectl-smartvpa,
# made by `make build`). The demo is seeded, so the pictures change only when
# the TUI or the recommenders do.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin/kubectl-smartvpa}
out=$root/docs
command -v tmux >/dev/null || { echo "tmux not found: install it (apt-get install tmux)" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found: run 'make build' first" >&2; exit 2; }

work=$(mktemp -d)
sock="smartvpa-docs-$$"
printf 'set -g status off\nset -g escape-time 0\nset -g default-terminal tmux-256color\n' >"$work/tmux.conf"
tm() { tmux -L "$sock" -f "$work/tmux.conf" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for() {
	local i
	for i in $(seq 1 150); do
		tm capture-pane -p -t ui | grep -qF -- "$1" && { sleep 0.5; return 0; }
		sleep 0.2
	done
	echo "timed out waiting for \"$1\"" >&2
	exit 1
}

shot() {
	tm capture-pane -e -p -t ui >"$work/$1.ans"
	tm capture-pane -p -t ui | sed -e 's/[[:space:]]*$//' >"$out/tui-$1.txt"
	(cd "$root" && go run docs/tui-svg.go -title "kubectl smartvpa ui --demo" -cols 110 <"$work/$1.ans" >"$out/tui-$1.svg")
	echo "wrote docs/tui-$1.svg and docs/tui-$1.txt"
}

tm new-session -d -s ui -x 110 -y 32 "COLORTERM=truecolor $bin ui --demo --seed 1 --refresh 1h"
wait_for "12/12"
tm send-keys -t ui j j a j a s s
wait_for "sort saving"
shot table
tm send-keys -t ui Enter
wait_for "Memory"
shot detail
tm send-keys -t ui q
