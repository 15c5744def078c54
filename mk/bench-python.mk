# The Python-side benchmark: predict latency for one observation
# against Go's Agent.Act, and learn() env-steps/s on HalfCheetah-v5 (paper
# and small presets) against the Go-only update rate, measured in the same
# run. Included by the Makefile. Results: build/bench-python.md (and .json);
# recorded ones in bench/RESULTS.md.
#
# It runs against the installed package (make python), from the repository
# root with PYTHONPATH unset, like test-python. About 4 minutes on 2 cores;
# BENCH_PYTHON_ARGS=--quick for a run of under a minute.

.PHONY: bench-python

BENCH_PYTHON_ARGS ?=

bench-python: python $(BUILD)/bench/bench_act ## Python predict latency and learn() env-steps/s on HalfCheetah-v5, against Go and the C ABI in the same run
	@bash scripts/setup.d/python.sh
	@mkdir -p $(BUILD)
	env -u PYTHONPATH GO='$(GO)' $(PYTHON) bench/python/bench_python.py --capi $(BUILD)/bench/bench_act \
		--out $(BUILD)/bench-python.md $(BENCH_PYTHON_ARGS)
