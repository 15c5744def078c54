# Smoke runs of every benchmark program, so that none rots unseen: tiny
# sizes and a few iterations each, seconds in all; their numbers mean
# nothing. Included by the Makefile; test-go, test-c and test-python each
# run their part (`make bench-smoke` runs all three).
#
#   bench-smoke-go      every Go benchmark of the module once (-short gives
#                       the smoke sizes: bench_test.go files), then
#                       bench/summary on the output, and bench/bandit -smoke
#                       (the two-optima bandit study; also bench/bandit's test)
#   bench-smoke-capi    tests/c/bench_act --smoke (make bench-capi's program)
#   bench-smoke-python  bench/python/bench_python.py --smoke (make bench-python's)
#                       and bench/bandit/sac.py --smoke (the bandit's SAC baseline)

.PHONY: bench-smoke bench-smoke-go bench-smoke-capi bench-smoke-python

SMOKE_DIR := $(BUILD)/bench-smoke

bench-smoke: bench-smoke-go bench-smoke-capi bench-smoke-python ## every benchmark program once at smoke sizes (seconds), as the tests run them

bench-smoke-go:
	@mkdir -p $(SMOKE_DIR)
	@echo "== bench-smoke: go test -short -run '^$$' -bench . -benchtime 1x ./... | bench/summary"
	@$(GO) test $(GOFLAGS_TAGS) -short -run '^$$' -bench . -benchtime 1x ./... > $(SMOKE_DIR)/go.txt 2>&1 \
		|| { cat $(SMOKE_DIR)/go.txt; echo "bench-smoke-go: a benchmark failed"; exit 1; }
	@$(GO) run ./bench/summary < $(SMOKE_DIR)/go.txt > $(SMOKE_DIR)/go.md
	@echo "bench-smoke-go: $$(grep -c '^| ' $(SMOKE_DIR)/go.md | awk '{print $$1 - 1}') benchmarks ran (build/bench-smoke/go.md)"
	@$(GO) run $(GOFLAGS_TAGS) ./bench/bandit -smoke > $(SMOKE_DIR)/bandit.md 2> $(SMOKE_DIR)/bandit.log \
		|| { cat $(SMOKE_DIR)/bandit.log; echo "bench-smoke-go: bench/bandit -smoke failed"; exit 1; }
	@echo "bench-smoke-go: bench/bandit -smoke ok (build/bench-smoke/bandit.md)"

bench-smoke-capi: $(BUILD)/bench/bench_act
	@mkdir -p $(SMOKE_DIR)
	@echo "== bench-smoke: bench_act --smoke"
	@$(BUILD)/bench/bench_act --smoke > $(SMOKE_DIR)/capi.txt 2>&1 || { cat $(SMOKE_DIR)/capi.txt; exit 1; }
	@grep -q '^sample: median' $(SMOKE_DIR)/capi.txt || { cat $(SMOKE_DIR)/capi.txt; echo "bench-smoke-capi: no summary line"; exit 1; }
	@echo "bench-smoke-capi: ok (build/bench-smoke/capi.txt)"

bench-smoke-python: python $(BUILD)/bench/bench_act
	@bash scripts/setup.d/python.sh
	@mkdir -p $(SMOKE_DIR)
	@echo "== bench-smoke: bench_python.py --smoke"
	@env -u PYTHONPATH GO='$(GO)' $(PYTHON) bench/python/bench_python.py --smoke --capi $(BUILD)/bench/bench_act \
		--out $(SMOKE_DIR)/python.md \
		> $(SMOKE_DIR)/python.log 2>&1 || { cat $(SMOKE_DIR)/python.log; exit 1; }
	@echo "bench-smoke-python: ok (build/bench-smoke/python.md)"
	@env -u PYTHONPATH $(PYTHON) bench/bandit/sac.py --smoke --out $(SMOKE_DIR)/bandit_sac.md \
		> $(SMOKE_DIR)/bandit_sac.log 2>&1 || { cat $(SMOKE_DIR)/bandit_sac.log; exit 1; }
	@grep -q '^| +0 |' $(SMOKE_DIR)/bandit_sac.md || { cat $(SMOKE_DIR)/bandit_sac.md; echo "bench-smoke-python: no bandit table"; exit 1; }
	@echo "bench-smoke-python: bench/bandit/sac.py --smoke ok (build/bench-smoke/bandit_sac.md)"

test-go: bench-smoke-go
test-c: bench-smoke-capi
test-python: bench-smoke-python
