#!/usr/bin/env bash
# Python side of `make setup` (run by scripts/setup.sh from the repo root, or
# on its own): the pip packages the Python build and tests need, and gopy +
# goimports built into build/bin from the pinned tools module tools/gopy.
# Idempotent and fast when everything is present: one Python start-up to
# check the requirements, no pip and no go build.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
GO=${GO:-go}
BIN=build/bin
# The extras of pyproject.toml installed besides the build's and the
# package's requirements.
EXTRAS=${MFPO_SETUP_EXTRAS:-test,dist}

# The requirements come from pyproject.toml, the one list of them; the
# script prints them all (line 1: the ones not met, space-separated; then
# every one, one a line, for pip to resolve together).
out=$("$PYTHON" - pyproject.toml "$EXTRAS" <<'PY'
import sys
try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors tomli
    from pip._vendor import tomli as tomllib
from importlib.metadata import PackageNotFoundError, distribution
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pip always vendors packaging
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

with open(sys.argv[1], "rb") as f:
    meta = tomllib.load(f)
name = canonicalize_name(meta["project"]["name"])
optional = meta["project"].get("optional-dependencies", {})


def expand(specs, seen_extras):
    """The requirements in specs, with mfpo[extra] replaced by its extras'."""
    for spec in specs:
        req = Requirement(spec)
        if canonicalize_name(req.name) != name:
            yield spec
            continue
        for extra in sorted(req.extras - seen_extras):
            if extra not in optional:
                sys.exit(f"setup: pyproject.toml has no extra {extra!r}")
            seen_extras.add(extra)
            yield from expand(optional[extra], seen_extras)


def unmet(req, env, seen):
    """Whether req (in marker environment env) is not installed, checking
    the requirements of its extras too, since pip installs those."""
    if req.marker is not None and not req.marker.evaluate(env):
        return False
    try:
        dist = distribution(req.name)
    except PackageNotFoundError:
        return True
    if not req.specifier.contains(dist.version, prereleases=True):
        return True
    for extra in req.extras:
        key = (canonicalize_name(req.name), extra)
        if key in seen:
            continue
        seen.add(key)
        for sub in dist.requires or []:
            if unmet(Requirement(sub), {"extra": extra}, seen):
                return True
    return False


extras = {e for arg in sys.argv[2:] for e in arg.split(",") if e}
specs = list(dict.fromkeys(expand(
    meta["build-system"]["requires"] + meta["project"]["dependencies"] + [f"{name}[{','.join(sorted(extras))}]"],
    set(),
)))
seen = set()
print(" ".join(s.replace(" ", "") for s in specs if unmet(Requirement(s), {"extra": ""}, seen)))
print("\n".join(specs))
PY
)
mapfile -t reqs <<<"$out"
missing=${reqs[0]}
if [ -n "$missing" ]; then
	echo "setup: pip install (not met: $missing)"
	# The whole list, so that pip resolves the constraints together
	# (dm_control would otherwise pull the newest mujoco); wheels only.
	PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --only-binary=:all: "${reqs[@]:1}"
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
