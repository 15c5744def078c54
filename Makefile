# mfpo — the one entry point for building, testing and benchmarking.
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
PYTHON  ?= python3
BUILD   := build
BENCHCOUNT ?= 5

# OpenBLAS when its pkg-config file is present, gonum's pure-Go BLAS otherwise.
# Recursive (=) so that it is evaluated after `setup` has installed OpenBLAS.
GOTAGS = $(shell pkg-config --exists openblas 2>/dev/null && echo openblas)
GOFLAGS_TAGS = $(if $(GOTAGS),-tags=$(GOTAGS))

.PHONY: help setup build test test-go demo demo-go bench vet

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN{FS=":.*## "}{printf "  %-16s %s\n", $$1, $$2}'

setup: ## install everything the build and tests need (apt, Go modules, pip); idempotent
	@bash scripts/setup.sh

build: ## build every Go package
	$(GO) build $(GOFLAGS_TAGS) ./...

vet: ## go vet every package
	$(GO) vet $(GOFLAGS_TAGS) ./...

test: setup ## run the whole test suite: lint, then Go, C, Python, the sdist, the wheels and the C tarball
	@$(MAKE) --no-print-directory lint test-go test-c test-python test-sdist test-wheel test-dist-c

test-go: check-generate build-cuda check-ptx ## Go unit tests (both BLAS backends when OpenBLAS is present)
	$(GO) vet $(GOFLAGS_TAGS) ./...
	$(GO) test $(GOFLAGS_TAGS) ./...
	@if [ -n "$(GOTAGS)" ]; then echo "== again with the gonum fallback (learning runs only once, above)"; $(GO) test -count=1 -skip '^TestLearn' ./gocore/...; fi

DEMO_DIR ?= runs/demo

demo: setup python ## the main job: train an MFPO agent on Gymnasium's Pendulum-v1 from Python; writes runs/demo (checkpoint, logs, learning-curve PNG)
	$(PYTHON) -m mfpo train Pendulum-v1 --preset small --steps 15000 --seed 1 --out $(DEMO_DIR) --eval-freq 2500 --eval-episodes 10 --plot --no-progress --log-interval 10

demo-go: setup ## the same task on Pendulum's dynamics written in Go (examples/pendulum), no Python
	$(GO) run $(GOFLAGS_TAGS) ./examples/pendulum

bench: ## the nn benchmarks (GFLOP/s, fraction of the same-run SGEMM rate) and the full-update benchmarks
	@mkdir -p $(BUILD)
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchtime 1s -count $(BENCHCOUNT) ./gocore/nn | tee $(BUILD)/bench.txt
	@$(GO) run ./bench/summary < $(BUILD)/bench.txt | tee $(BUILD)/bench.md
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench Update -benchtime 10x -count $(BENCHCOUNT) ./gocore/mfpo | tee $(BUILD)/bench-update.txt
	@$(GO) run ./bench/summary < $(BUILD)/bench-update.txt | tee $(BUILD)/bench-update.md

include mk/capi.mk
include mk/python.mk
include mk/pkg.mk
include mk/dist.mk
include mk/checkpoint.mk
include mk/limits.mk
include mk/blasfree.mk
include mk/bench-python.mk
include mk/bench-smoke.mk
include mk/docs.mk
include mk/lint.mk
include mk/cuda.mk
