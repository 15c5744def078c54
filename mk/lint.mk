# make lint: static checks of the Go and Python code, all of which must be
# clean. Included by the Makefile; `make test` runs it first.
#
#   gofmt -l       no Go file may need reformatting
#   go vet         with and without the openblas tag
#   staticcheck    the same two builds (build/bin/staticcheck, pinned in
#                  tools/staticcheck)
#   go mod tidy    go.mod and go.sum of the main and the tools modules
#                  must already be tidy (-diff changes nothing)
#   ruff check     python/ tests/ bench/ scripts/ setup.py; rules in
#                  pyproject.toml [tool.ruff]
#   mypy           python/mfpo; settings in pyproject.toml [tool.mypy]
#
# Generated code is left out: the flatc output (CKPT_GO_DIR, CKPT_PY_DIR of
# mk/checkpoint.mk) and gopy's (python/mfpo/_gopy). scripts/setup.d/lint.sh
# installs the tools: ruff and mypy at the pins of pyproject.toml's [lint]
# extra into $(PYTHON), staticcheck into build/bin.

.PHONY: lint

STATICCHECK := $(BUILD)/bin/staticcheck
GO_MODULES  := . tools/gopy tools/staticcheck
PY_LINT_DIRS := python tests bench scripts setup.py

lint: ## static checks: gofmt, go vet, staticcheck, go mod tidy, ruff, mypy
	@PYTHON='$(PYTHON)' GO='$(GO)' bash scripts/setup.d/lint.sh
	@echo "== gofmt -l"; \
	bad=$$(find . -name '*.go' -not -path './.git/*' -not -path './$(BUILD)/*' \
		-not -path './$(CKPT_GO_DIR)/*' -not -path './python/mfpo/_gopy/*' -print0 | xargs -0 gofmt -l); \
	if [ -n "$$bad" ]; then echo "gofmt: these files need gofmt -w:"; echo "$$bad"; exit 1; fi
	@echo "== go vet (gonum BLAS)"; $(GO) vet ./...
	@echo "== staticcheck (gonum BLAS)"; $(STATICCHECK) ./...
	@if [ -n "$(GOTAGS)" ]; then \
		echo "== go vet -tags=$(GOTAGS)" && $(GO) vet $(GOFLAGS_TAGS) ./... && \
		echo "== staticcheck -tags=$(GOTAGS)" && $(STATICCHECK) $(GOFLAGS_TAGS) ./...; \
	else echo "== OpenBLAS is not installed (make setup): go vet and staticcheck ran without the openblas tag only"; fi
	@echo "== go mod tidy -diff"; rc=0; for m in $(GO_MODULES); do \
		(cd $$m && GOWORK=off $(GO) mod tidy -diff) || { echo "go mod tidy: $$m/go.mod or go.sum is not tidy; run go mod tidy there"; rc=1; }; \
	done; exit $$rc
	@echo "== ruff check"; $(PYTHON) -m ruff check --no-cache $(PY_LINT_DIRS)
	@echo "== mypy"; $(PYTHON) -m mypy
	@echo "lint: ok"
