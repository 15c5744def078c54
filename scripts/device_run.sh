#!/usr/bin/env bash
# run.sh of the device check (scripts/device_check.sh builds the folder it
# sits in): on a GPU machine, without Go and without network, run the CUDA
# backend's suite, the GPU benchmark and learn() on HalfCheetah-v5, in
# about 8 minutes at most. Results: $OUT (or ./results): suite.log,
# bench.txt, bench.jsonl, learn.txt, summary.txt. Exit 0: everything ran
# and passed; 1: a part failed; 3: no GPU visible (nothing else is run).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RES=${OUT:-$HERE/results}
mkdir -p "$RES"
say() { echo "$*" | tee -a "$RES/summary.txt"; }
: > "$RES/summary.txt"

# cuBLAS: the binaries need libcublas.so.12 (and the driver's libcuda.so.1,
# which the NVIDIA driver installs). Look where CUDA toolkits and PyTorch's
# wheels put it; a CUDA 13 libcublas.so.13 serves too (the cuBLAS v2 calls
# used are the same), linked under the name the binaries ask for.
LIB="$HERE/lib"; mkdir -p "$LIB"
find_cublas() {
	local d
	for d in ${LD_LIBRARY_PATH//:/ } /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
		/usr/lib/x86_64-linux-gnu $(python3 -c 'import site, glob; print(" ".join(d for s in site.getsitepackages() for d in glob.glob(s + "/nvidia/*/lib")))' 2>/dev/null); do
		for n in libcublas.so.12 libcublas.so.13; do
			[ -e "$d/$n" ] && { echo "$d/$n"; return; }
		done
	done
}
cb=$(find_cublas || true)
if [ -n "$cb" ]; then
	ln -sf "$cb" "$LIB/libcublas.so.12"
	export LD_LIBRARY_PATH="$LIB:$(dirname "$cb")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	say "cuBLAS: $cb"
else
	say "cuBLAS: no libcublas.so.12 or .13 found (the run will fail to start)"
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1 | tee -a "$RES/summary.txt"

# No GPU: the benchmark says so and exits 3.
"$HERE/bin/bench-gpu" -smoke > "$RES/probe.txt" 2>&1
rc=$?
if [ $rc -eq 3 ]; then
	say "no GPU visible: $(cat "$RES/probe.txt")"
	exit 3
elif [ $rc -ne 0 ]; then
	say "the benchmark's probe failed (exit $rc): $(tail -3 "$RES/probe.txt")"
fi

status=0
say "== suite: the CUDA backend against the float64 CPU reference, and an agent update against the CPU"
(cd "$HERE" && timeout 300 "$HERE/bin/cuda.test" -test.v -test.count=1) > "$RES/suite.log" 2>&1 || status=1
grep -E '^(--- |ok|FAIL|PASS)' "$RES/suite.log" | tee -a "$RES/summary.txt"

say "== benchmark (bench/gpu)"
timeout 150 "$HERE/bin/bench-gpu" -json "$RES/bench.jsonl" > "$RES/bench.txt" 2>&1 || status=1
tee -a "$RES/summary.txt" < "$RES/bench.txt"

say "== learn() on HalfCheetah-v5, UTD 1"
VENV="$HERE/venv"
if python3 -m venv --system-site-packages "$VENV" > "$RES/learn.txt" 2>&1 &&
	"$VENV/bin/pip" install -q --no-index --find-links "$HERE/wheels" "mfpo[mujoco]" >> "$RES/learn.txt" 2>&1; then
	# 2000 timed steps on the GPU; 100 on the CPU path, for comparison.
	for run in "cuda 2000" "cpu 100"; do
		MUJOCO_GL=egl timeout 150 "$VENV/bin/python" "$HERE/learn.py" $run >> "$RES/learn.txt" 2>&1 || { say "learn() $run failed: $(tail -1 "$RES/learn.txt")"; status=1; }
	done
	grep '^{' "$RES/learn.txt" | tee -a "$RES/summary.txt"
else
	say "learn() skipped: the wheels do not install here (the mfpo wheel is for the Python that built it): $(tail -2 "$RES/learn.txt")"
fi
say "== done (exit $status)"
exit $status
