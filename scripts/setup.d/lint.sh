#!/usr/bin/env bash
# `make lint`'s tools (mk/lint.mk), run by scripts/setup.sh from the repo
# root or on its own: ruff and mypy at the pins of pyproject.toml's [lint]
# extra, and staticcheck built into build/bin from the pinned tools module
# tools/staticcheck. Idempotent and fast when everything is present.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
GO=${GO:-go}
BIN=build/bin

# The [lint] extra's requirements that the installed packages do not meet.
mapfile -t missing < <("$PYTHON" - <<'PY'
try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors tomli
    from pip._vendor import tomli as tomllib
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.requirements import Requirement
except ImportError:  # pip always vendors it
    from pip._vendor.packaging.requirements import Requirement

with open("pyproject.toml", "rb") as f:
    reqs = tomllib.load(f)["project"]["optional-dependencies"]["lint"]
for spec in reqs:
    req = Requirement(spec)
    try:
        ok = req.specifier.contains(version(req.name), prereleases=True)
    except PackageNotFoundError:
        ok = False
    if not ok:
        print(spec)
PY
)
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: pip install ${missing[*]}"
	PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --only-binary=:all: "${missing[@]}"
fi

# staticcheck at the version tools/staticcheck/go.mod pins; rebuilt when
# missing or older than the pin files.
if [ ! -x "$BIN/staticcheck" ] || [ tools/staticcheck/go.mod -nt "$BIN/staticcheck" ] || [ tools/staticcheck/go.sum -nt "$BIN/staticcheck" ]; then
	echo "setup: go build honnef.co/go/tools/cmd/staticcheck -> $BIN/staticcheck"
	mkdir -p "$BIN"
	(cd tools/staticcheck && GOWORK=off "$GO" build -o "../../$BIN/staticcheck" honnef.co/go/tools/cmd/staticcheck)
fi
