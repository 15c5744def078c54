# The docs check: every markdown link and anchor, every "§n" reference and
# every mention of a markdown file in the tracked files must resolve (rules
# in scripts/check_docs.py). Included by the Makefile; `make test` runs it
# through test-go, like check-generate.

.PHONY: check-docs

check-docs: ## fail on a broken link, anchor, file mention or § reference in the tracked files
	@$(PYTHON) scripts/check_docs.py

test-go: check-docs
