# The limits' fuzz targets (docs/limits.md): the config parser and the
# agent calls, each for FUZZTIME over its committed corpus. Included by the
# Makefile; `make test-go` runs fuzz-limits.

.PHONY: fuzz-limits

fuzz-limits: ## fuzz the config parser and act/store/update inputs for FUZZTIME (30s) each
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz FuzzConfigJSON -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./gocore/mfpo
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz FuzzAgentCalls -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./gocore/face

test-go: fuzz-limits
