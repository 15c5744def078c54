#!/usr/bin/env bash
# The CUDA build's toolchain from PyPI's NVIDIA wheels, no driver and no GPU
# needed (docs/gpu.md):
#   include/   CUDA 12.9's driver-API and cuBLAS headers, which
#              gorgonia.org/cu v0.9.6 compiles against (it does not build
#              against CUDA 13's cuda.h: cuCtxCreate, cuMemAdvise and the
#              graph calls changed signature; docs/design.md §7);
#   nvcc/      CUDA 13.0's nvcc (the cu12 nvcc wheels carry ptxas and NVVM
#              but no nvcc driver), which `make ptx` compiles kernels/ with.
# The wheels are fetched with pip download (pinned versions), unpacked into
# $MFPO_CUDA_TOOLCHAIN (default ~/.cache/mfpo/cuda-12.9-13.0) and deleted;
# only the headers and the compiler are kept (about 300 MB). Idempotent:
# nothing to do when the stamp of these versions is there. Not run by
# `make setup` (a 0.7 GB download): make build-cuda, make ptx and make
# check-ptx run it when the toolchain is missing.
set -euo pipefail

PYTHON=${PYTHON:-python3}
DIR=${MFPO_CUDA_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/mfpo/cuda-12.9-13.0}
HEADERS=(nvidia-cuda-runtime-cu12==12.9.79 nvidia-cuda-nvcc-cu12==12.9.86 nvidia-cuda-cccl-cu12==12.9.27 nvidia-cublas-cu12==12.9.3.13)
NVCC=(nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85)
STAMP="$DIR/.stamp"
WANT="${HEADERS[*]} ${NVCC[*]}"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
	exit 0
fi
echo "setup-cuda: fetching the CUDA headers and nvcc from PyPI into $DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$tmp/whl" "${HEADERS[@]}" "${NVCC[@]}"
rm -rf "$DIR.new" && mkdir -p "$DIR.new/include" "$DIR.new/nvcc"
unpack() { # unpack WHEEL PATTERN...: the members matching the patterns into $tmp/x
	local w=$1; shift
	rm -rf "$tmp/x" && mkdir -p "$tmp/x"
	unzip -q -o "$w" "$@" -d "$tmp/x"
}
for w in "$tmp"/whl/nvidia_cuda_runtime_cu12-*.whl "$tmp"/whl/nvidia_cuda_nvcc_cu12-*.whl \
	"$tmp"/whl/nvidia_cuda_cccl_cu12-*.whl "$tmp"/whl/nvidia_cublas_cu12-*.whl; do
	unpack "$w" 'nvidia/*/include/*'
	cp -r "$tmp"/x/nvidia/*/include/. "$DIR.new/include/"
done
for w in "$tmp"/whl/nvidia_cuda_nvcc-13*.whl "$tmp"/whl/nvidia_nvvm-13*.whl "$tmp"/whl/nvidia_cuda_crt-13*.whl \
	"$tmp"/whl/nvidia_cuda_runtime-13*.whl "$tmp"/whl/nvidia_cuda_cccl-13*.whl; do
	unpack "$w" 'nvidia/cu13/*'
	cp -r "$tmp"/x/nvidia/cu13/. "$DIR.new/nvcc/"
done
for f in cuda.h cublas_v2.h crt/host_defines.h nv/target; do
	[ -e "$DIR.new/include/$f" ] || { echo "setup-cuda: $f is missing from the wheels" >&2; exit 1; }
done
"$DIR.new/nvcc/bin/nvcc" --version | tail -1
echo "$WANT" > "$DIR.new/.stamp"
rm -rf "$DIR" && mv "$DIR.new" "$DIR"
echo "setup-cuda: ok ($DIR)"
