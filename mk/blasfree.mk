# The check that a run on the CPU's vector paths does not depend on the
# BLAS (scripts/check-blas-free.sh, docs/reproducibility.md). Included by
# the Makefile; `make test-go` runs it.

.PHONY: check-blas-free

check-blas-free: ## the openblas and gonum builds, and OpenBLAS on another core, train bit for bit alike on each vector path
	@GO='$(GO)' bash scripts/check-blas-free.sh

test-go: check-blas-free
