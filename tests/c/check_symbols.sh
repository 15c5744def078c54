#!/usr/bin/env bash
# check_symbols.sh LIB HEADER: the dynamic symbols LIB defines must be exactly
# the mfpo_* functions HEADER declares (nothing else: no Go runtime, no cgo
# glue). Exits non-zero, naming the differences, otherwise.
set -euo pipefail
lib=${1:?usage: check_symbols.sh LIB HEADER}
header=${2:?usage: check_symbols.sh LIB HEADER}

exported=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
# Function declarations: lines not starting with #, /*, * or blank.
declared=$(grep -E '^[^#/*[:space:]].*\bmfpo_[a-z0-9_]+[[:space:]]*\(' "$header" \
	| grep -oE '\bmfpo_[a-z0-9_]+[[:space:]]*\(' | tr -d '( \t' | sort -u)

if [[ -z $declared ]]; then
	echo "FAIL symbols: no mfpo_* functions found in $header"
	exit 1
fi
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [[ -n $extra || -n $missing ]]; then
	[[ -z $extra ]] || echo "FAIL symbols: $lib exports symbols not declared in $header:" $extra
	[[ -z $missing ]] || echo "FAIL symbols: $lib does not export functions declared in $header:" $missing
	exit 1
fi
echo "ok   $lib exports exactly the $(echo "$declared" | wc -l) functions of $header:" $exported
