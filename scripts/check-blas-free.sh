#!/usr/bin/env bash
# On the CPU's vector paths every float32 product of training and acting
# runs on mfpo's own kernels, so a run must not depend on the BLAS: the
# openblas build, the openblas build with OpenBLAS forced to its Haswell
# core, and the pure-Go gonum build must train bit for bit alike
# (docs/reproducibility.md). For each vector path this CPU has, this runs
# gocore/mfpo's TestDeterminism (50 updates, 2 shards) each way and
# compares the fingerprints it logs. Run by `make check-blas-free`.
set -euo pipefail
GO=${GO:-go}
if ! pkg-config --exists openblas 2>/dev/null; then
	echo "check-blas-free: no OpenBLAS here (pkg-config openblas): nothing to compare"
	exit 0
fi
fingerprint() { # path, then env assignments and go test flags
	local path=$1
	shift
	env MFPO_CPU_KERNELS="$path" "$@" -count=1 -run '^TestDeterminism$' -v ./gocore/mfpo |
		awk '/fingerprint/ {print $(NF-1), $NF}'
}
status=0
for path in avx512 avx2; do
	ref=$(fingerprint "$path" "$GO" test -tags=openblas)
	if [ "${ref%% *}" != "cpu/$path" ]; then
		echo "check-blas-free: $path: not on this CPU (ran ${ref%% *})"
		continue
	fi
	haswell=$(fingerprint "$path" OPENBLAS_CORETYPE=Haswell "$GO" test -tags=openblas)
	gonum=$(fingerprint "$path" "$GO" test)
	echo "check-blas-free: $path: openblas $ref, OpenBLAS on Haswell $haswell, gonum $gonum"
	if [ -z "$ref" ] || [ "$haswell" != "$ref" ] || [ "$gonum" != "$ref" ]; then
		echo "check-blas-free: $path: the BLAS changed the run's bits" >&2
		status=1
	fi
done
exit $status
