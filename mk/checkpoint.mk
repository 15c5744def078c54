# The checkpoint format (docs/checkpoint.md): the code generated from
# gocore/checkpoint/schema/checkpoint.fbs (flatc's readers and writers, and
# fbgen's tables for the Go verifier), the check that the committed code is
# current, and the loader's bounded fuzz run. Included by the Makefile;
# `make test-go` runs check-generate and fuzz-checkpoint.

FLATC        ?= flatc
FLATC_WANT   := 2.0.8
CKPT_SCHEMA  := gocore/checkpoint/schema/checkpoint.fbs
# Where each language's generated code lives; these folders hold nothing else.
CKPT_GO_DIR  := gocore/checkpoint/internal/fb
CKPT_PY_DIR  := python/mfpo/_fb
# The Go verifier's tables (gocore/checkpoint/internal/fbgen writes them).
CKPT_TABLES  := gocore/checkpoint/verify_tables_generated.go
FUZZTIME     ?= 30s

.PHONY: generate check-generate fuzz-checkpoint bench-checkpoint

# ckpt_generate DIR: run flatc on the schema and lay its output out under
# DIR as in the repository. flatc writes into a scratch folder first: it
# also writes an empty mfpo/__init__.py for the Python namespace, which
# must never replace python/mfpo/__init__.py.
define ckpt_generate
	@command -v $(FLATC) >/dev/null 2>&1 || FLATC=$(FLATC) bash scripts/setup.d/flatc.sh
	@v=$$($(FLATC) --version | awk '{print $$NF}'); if [ "$$v" != "$(FLATC_WANT)" ]; then \
		echo "checkpoint: $(FLATC) is version $$v, the committed code is from flatc $(FLATC_WANT) (Debian 12's flatbuffers-compiler)"; exit 1; fi
	@rm -rf $(1) && mkdir -p $(1)/flatc $(1)/$(CKPT_GO_DIR) $(1)/$(CKPT_PY_DIR)
	$(FLATC) --go --go-namespace fb --python -o $(1)/flatc $(CKPT_SCHEMA)
	@cp $(1)/flatc/fb/*.go $(1)/$(CKPT_GO_DIR)/
	@cp $(1)/flatc/mfpo/_fb/*.py $(1)/$(CKPT_PY_DIR)/
	@rm -rf $(1)/flatc
	$(GO) run ./gocore/checkpoint/internal/fbgen -o $(1)/$(CKPT_TABLES) $(CKPT_SCHEMA)
endef

generate: ## regenerate the checkpoint format's Go and Python code (flatc 2.0.8) and the Go verifier's tables from its schema
	$(call ckpt_generate,$(BUILD)/generate)
	rm -rf $(CKPT_GO_DIR) $(CKPT_PY_DIR)
	@for d in $(CKPT_GO_DIR) $(CKPT_PY_DIR); do mkdir -p $$d && cp $(BUILD)/generate/$$d/* $$d/; done
	cp $(BUILD)/generate/$(CKPT_TABLES) $(CKPT_TABLES)
	@rm -rf $(BUILD)/generate

check-generate: ## fail when regenerating the checkpoint code would change anything
	$(call ckpt_generate,$(BUILD)/check-generate)
	@rc=0; for d in $(CKPT_GO_DIR) $(CKPT_PY_DIR); do \
		diff -r $(BUILD)/check-generate/$$d $$d || rc=1; done; \
	diff $(BUILD)/check-generate/$(CKPT_TABLES) $(CKPT_TABLES) || rc=1; \
	rm -rf $(BUILD)/check-generate; \
	if [ $$rc -ne 0 ]; then echo "check-generate: the generated checkpoint code is stale; run make generate and commit"; exit 1; fi; \
	echo "check-generate: ok"

fuzz-checkpoint: ## fuzz the checkpoint loader for FUZZTIME (30s)
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./gocore/checkpoint

bench-checkpoint: ## save and load times and file sizes of the paper's agent, with and without a 1M replay buffer
	@mkdir -p $(BUILD)
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench Checkpoint -benchtime 10x -count 5 ./gocore/checkpoint | tee $(BUILD)/bench-checkpoint.txt

# test-go also runs the bounded fuzz run (check-generate is named in the
# Makefile's own rule).
test-go: fuzz-checkpoint
