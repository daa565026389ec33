#!/usr/bin/env bash
# End-to-end test of the TUI: runs `kubectl smartvpa ui --demo` under tmux at
# 80x24, 120x35 and 200x50, types keys (enter, esc, ?, /, :ns, S, y, a, r, A,
# q), captures the panes as text and compares them with
# test/tui/testdata/*.txt; it also checks named facts in the panes (the 80x24
# footer keeps the apply keys, the wide columns at 200, the header total, an
# approval kept across r); after q it checks that the program exited 0 and
# left nothing on the normal screen.
#
#   test/tui/run.sh            compare (exit 1 on a difference)
#   test/tui/run.sh --update   rewrite the golden panes after an intended change
#
# BIN overrides the binary (default bin/kubectl-smartvpa; `make build` makes
# it). The demo is seeded and does not read the clock for its data, so the
# panes are the same on every run. Needs tmux; uses its own tmux server, so a
# tmux session of yours is left alone.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BIN:-$root/bin/kubectl-smartvpa}
golden=$root/test/tui/testdata
update=0
case "${1:-}" in
--update) update=1 ;;
"") ;;
*) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

command -v tmux >/dev/null || { echo "tmux not found: install it (apt-get install tmux)" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found: run 'make build' first" >&2; exit 2; }

work=$(mktemp -d)
sock="smartvpa-tui-$$"
conf="$work/tmux.conf"
# No status bar (the pane gets the whole size) and keep the pane after the
# program exits, to check that it restored the terminal.
printf 'set -g status off\nset -g remain-on-exit on\nset -g escape-time 0\n' >"$conf"
tm() { tmux -L "$sock" -f "$conf" "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

capture() { tm capture-pane -p -t ui | sed -e 's/[[:space:]]*$//'; }

# wait_for TEXT: wait until the pane shows TEXT and stops changing.
wait_for() {
	local text=$1 i prev="" cur
	for i in $(seq 1 150); do
		cur=$(capture)
		if grep -qF -- "$text" <<<"$cur" && [ "$cur" = "$prev" ]; then
			return 0
		fi
		prev=$cur
		sleep 0.2
	done
	echo "timed out waiting for \"$text\"; the pane shows:" >&2
	capture >&2
	return 1
}

failed=0
# check NAME: compare the pane with testdata/NAME.txt (or write it).
check() {
	local name=$1 file="$golden/$1.txt"
	capture >"$work/$name.txt"
	if [ "$update" = 1 ]; then
		cp "$work/$name.txt" "$file"
		echo "updated $file"
	elif ! diff -u "$file" "$work/$name.txt" >"$work/$name.diff" 2>&1; then
		echo "FAIL $name: the pane differs from $file (run $0 --update if intended):"
		cat "$work/$name.diff"
		failed=$((failed + 1))
	else
		echo "ok   $name"
	fi
}

keys() { tm send-keys -t ui "$@"; }

# expect NAME TEXT...: the pane captured as NAME shows every TEXT.
expect() {
	local name=$1 t
	shift
	for t in "$@"; do
		if grep -qF -- "$t" "$work/$name.txt"; then
			echo "ok   $name shows \"$t\""
		else
			echo "FAIL $name lacks \"$t\":"
			cat "$work/$name.txt"
			failed=$((failed + 1))
		fi
	done
}

# The demo on two fast recommenders: vpa first (the first offered, since the
# default smart is not among them), r switches to autopilot.
start() {
	tm new-session -d -s ui -x "$1" -y "$2" \
		"$bin ui --demo --seed 1 --refresh 1h --recommenders vpa,autopilot; echo \"exit=\$?\""
}

# check_quit SIZE: after q the program must have exited 0 and left the
# terminal as it found it: the screen and its scrollback hold nothing but the
# shell's "exit=0" (the TUI drew only on the alternate screen).
check_quit() {
	local i left=""
	for i in $(seq 1 150); do
		left=$(tm capture-pane -p -S -1000 -t ui | grep -v '^Pane is dead' | sed -e 's/[[:space:]]*$//' | grep -v '^$' || true)
		[ "$left" = "exit=0" ] && break
		sleep 0.2
	done
	if [ "$left" = "exit=0" ]; then
		echo "ok   quit-$1 (exit 0, terminal restored)"
	else
		echo "FAIL quit-$1: after q the terminal shows:"
		echo "$left"
		failed=$((failed + 1))
	fi
}

run_size() {
	local w=$1 h=$2 size="$1x$2"
	start "$w" "$h"
	wait_for "KIND/NAME"
	wait_for "12/12"
	check "table-$size"
	expect "table-$size" "total " "/mo" "CPU±" "MEM±"
	case $size in
	80x24) expect "table-$size" "a approve" "A apply" "d dry-run" "deploy/fraud-scorer" ;;
	200x50) expect "table-$size" "REPL" "LIMITS CPU/MEM" "CPU USE" "MEM USE" ;;
	esac

	keys Enter
	wait_for "Memory"
	check "detail-$size"

	keys Escape
	wait_for "KIND/NAME"
	keys '?'
	wait_for "Keys"
	check "help-$size"

	keys '?'
	wait_for "KIND/NAME"
	keys / p a y
	wait_for "filter pay"
	check "filter-$size"

	keys Enter q
	check_quit "$size"
	tm kill-session -t ui
}

# run_actions: the k9s-style commands and the approval bound to its numbers,
# at 120x35.
run_actions() {
	local size=120x35
	start 120 35
	wait_for "12/12"
	keys : n s Space p a y m e n t s Enter
	wait_for "ns payments"
	check "cmd-ns-$size"
	expect "cmd-ns-$size" "4/12" "deploy/api"

	keys S
	wait_for "sort name↑"
	check "reverse-sort-$size"

	keys : n s Enter y
	wait_for "patch of"
	check "yaml-$size"
	expect "yaml-$size" "# kubectl patch -n shop statefulset.apps redis --patch-file patch.yaml" "requests:" "cpu: "

	keys Escape
	wait_for "KIND/NAME"
	keys / w o r k e r Enter a r
	wait_for "rec autopilot"
	wait_for "approved (vpa)"
	check "approval-kept-$size"
	expect "approval-kept-$size" "keep the numbers of the recommender they were approved with"
	keys A
	wait_for "y apply 1"
	check "apply-kept-$size"
	expect "apply-kept-$size" "batch/Deployment/worker · with vpa" "simulated"

	keys n q
	check_quit "$size"
	tm kill-session -t ui
}

mkdir -p "$golden"
run_size 80 24
run_actions
run_size 200 50

if [ "$failed" -gt 0 ]; then
	echo "$failed pane(s) differ"
	exit 1
fi
echo "all panes match"
