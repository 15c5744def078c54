#!/usr/bin/env bash
# The prepared device check (docs/gpu.md).
#
#   scripts/device_check.sh build [DIR]   here (Go, the CUDA toolchain from
#       PyPI, no GPU): build into DIR (default build/device-check) what a
#       GPU machine without Go and without network needs: the CUDA
#       backend's test binary (the op conformance suite and the agent
#       update against the CPU), the GPU benchmark (bench/gpu), a
#       cuda-tagged mfpo wheel with MuJoCo's and Gymnasium's wheels for
#       learn() on HalfCheetah-v5, and run.sh. Then run.sh is tried here,
#       where it must report that no GPU is visible and exit 3.
#   DIR/run.sh   there: the suite, the benchmark and learn(), about 8
#       minutes at most; results go to $OUT (the device tool's folder) or
#       DIR/results. Exit 0: all ran and passed; 1: a part failed; 3: no
#       GPU visible.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = build ] || { echo "usage: $0 build [DIR]" >&2; exit 2; }
DIR=$(mkdir -p "${2:-build/device-check}" && cd "${2:-build/device-check}" && pwd)
PYTHON=${PYTHON:-python3}
GO=${GO:-go}
make --no-print-directory cuda-stubs GOTAGS=
TC=$(make --no-print-directory -s print-cuda-toolchain)
export CGO_CFLAGS="-I$TC/include" CGO_LDFLAGS="-L$PWD/build/cuda/stubs"
# Tag cuda alone: the GPU machine has no OpenBLAS, so the CPU side uses
# gonum's BLAS; the matrix products that matter run in cuBLAS.
rm -rf "$DIR/bin" "$DIR/wheels" && mkdir -p "$DIR/bin" "$DIR/wheels"
$GO test -c -tags=cuda -o "$DIR/bin/cuda.test" ./gocore/backend/cuda
$GO build -tags=cuda -o "$DIR/bin/bench-gpu" ./bench/gpu
cp bench/gpu/learn.py "$DIR/"
echo "device-check: the cuda-tagged wheel (CPython $($PYTHON -c 'import sys; print("%d.%d" % sys.version_info[:2])'))"
MFPO_GOTAGS=cuda PIP_ROOT_USER_ACTION=ignore $PYTHON -m pip wheel -q --no-build-isolation --no-deps -w "$DIR/wheels" .
# MuJoCo and Gymnasium at the pins of pyproject.toml's mujoco extra.
mapfile -t extra < <($PYTHON -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["mujoco"]))')
PIP_ROOT_USER_ACTION=ignore $PYTHON -m pip download -q --only-binary=:all: -d "$DIR/wheels" "${extra[@]}" 2>&1 | tail -2 ||
	echo "device-check: MuJoCo's wheels could not be fetched; learn() will be skipped there"
# numpy comes with PyTorch there; drop what the machine has anyway.
rm -f "$DIR"/wheels/numpy-*.whl
cp scripts/device_run.sh "$DIR/run.sh"
chmod +x "$DIR/run.sh"
du -sh "$DIR" | sed 's/^/device-check: /'
echo "device-check: trying run.sh here, where it must say that no GPU is visible"
rc=0
LD_LIBRARY_PATH="$PWD/build/cuda/stubs" OUT="$DIR/results-here" "$DIR/run.sh" || rc=$?
if [ "$rc" -ne 3 ]; then
	echo "device-check: run.sh here exited $rc, want 3 (no GPU visible)" >&2
	exit 1
fi
echo "device-check: ok ($DIR)"
