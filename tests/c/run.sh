#!/usr/bin/env bash
# run.sh TALLY LABEL WRAPPER PROG...: runs each C/C++ test program (under
# WRAPPER, e.g. "valgrind ...", when not empty), shows its output, and adds
# its final "N passed, M failed" line to the file TALLY. A program that
# exits non-zero (a crash, a sanitizer or valgrind error) without failing a
# check of its own counts one more failure. Always exits 0, so that every
# group runs; `run.sh --total TALLY` prints the sum and fails if any failed.
set -uo pipefail

if [[ ${1:-} == --total ]]; then
	tally=${2:?usage: run.sh --total TALLY}
	read -r p f < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' "$tally" 2>/dev/null || echo "0 1")
	echo "== C and C++ test programs: every group"
	echo "$p passed, $f failed"
	[[ $f -eq 0 && $p -gt 0 ]]
	exit
fi

tally=${1:?usage: run.sh TALLY LABEL WRAPPER PROG...}
label=$2
wrapper=$3
shift 3
for prog in "$@"; do
	echo "== [$label] $prog"
	out=$(mktemp)
	# shellcheck disable=SC2086 # the wrapper is a command line
	$wrapper "$prog" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	rm -f "$out"
	p=0 f=0
	if [[ -n $line ]]; then
		p=${line%% passed*}
		f=${line#*, }
		f=${f%% failed*}
	fi
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "FAIL [$label] $prog exited with status $rc"
		f=$((f + 1))
	fi
	echo "$p $f" >>"$tally"
done
exit 0
