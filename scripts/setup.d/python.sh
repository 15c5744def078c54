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
# Run-time (pyproject's dependencies): numpy, gymnasium, tqdm, and
# flatbuffers (mfpo.checkpoint reads checkpoints with it; the same version
# as the Go runtime, github.com/google/flatbuffers v25.12.19).
# Test-time: pytest; MuJoCo for HalfCheetah-v5; shimmy + dm_control for
# "dm_control/…" tasks (the [dm_control] extra; dm_control 1.0.50 fails
# with mujoco 4.0.0, hence the pin); matplotlib and tensorboardX (the
# [extra] extra: plots, TensorBoard events); nbclient, nbformat and
# ipykernel to run the notebook. Pendulum needs no extra (no pygame: the
# tests never render). Every one is a wheel on PyPI for CPython 3.11 on
# x86-64 Linux.
PIP_REQS=(
	"setuptools>=70,<85"
	"wheel>=0.43,<1"
	"pybindgen==0.22.1"
	"pytest>=8,<10"
	"numpy>=1.26,<3"
	"gymnasium==1.4.0"
	"tqdm==4.70.1"
	"flatbuffers==25.12.19"
	"mujoco==3.17.0"
	"imageio>=2.14,<3"
	"dm_control==1.0.50"
	"shimmy==2.0.1"
	"h5py>=3.7,<4"
	"matplotlib==3.11.2"
	"tensorboardX==2.6.5"
	"nbclient==0.11.0"
	"nbformat==5.11.1"
	"ipykernel==7.4.0"
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
	# The whole list, so that pip resolves the pins together (dm_control
	# would otherwise pull the newest mujoco); wheels only.
	PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --only-binary=:all: "${PIP_REQS[@]}"
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
