#!/usr/bin/env bash
# Python side of `make setup` (run by scripts/setup.sh from the repo root, or
# on its own): the pip packages the Python build and tests need, and gopy +
# goimports built into build/bin from the pinned tools module tools/gopy.
# Idempotent and fast when everything is present: one Python start-up to
# check the pins, no pip and no go build.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
GO=${GO:-go}
BIN=build/bin

# Build-time: setuptools, wheel, pybindgen (gopy's C generator).
# Test-time: pytest, numpy.
PIP_REQS=(
	"setuptools>=70,<85"
	"wheel>=0.43,<1"
	"pybindgen==0.22.1"
	"pytest>=8,<10"
	"numpy>=1.26,<3"
)

# Print the requirements that are not satisfied by what is installed.
mapfile -t missing < <("$PYTHON" - "${PIP_REQS[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.requirements import Requirement
except ImportError:  # pip always vendors it
    from pip._vendor.packaging.requirements import Requirement

for spec in sys.argv[1:]:
    req = Requirement(spec)
    try:
        have = version(req.name)
    except PackageNotFoundError:
        print(spec)
        continue
    if not req.specifier.contains(have, prereleases=True):
        print(spec)
EOF
)
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: pip install ${missing[*]}"
	PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q "${missing[@]}"
fi

# gopy and goimports, at the versions tools/gopy/go.mod pins. Rebuilt when
# missing or older than the pin files.
for tool in "gopy github.com/go-python/gopy" "goimports golang.org/x/tools/cmd/goimports"; do
	read -r name pkg <<<"$tool"
	if [ ! -x "$BIN/$name" ] || [ tools/gopy/go.mod -nt "$BIN/$name" ] || [ tools/gopy/go.sum -nt "$BIN/$name" ]; then
		echo "setup: go build $pkg -> $BIN/$name"
		mkdir -p "$BIN"
		(cd tools/gopy && GOWORK=off "$GO" build -o "../../$BIN/$name" "$pkg")
	fi
done
