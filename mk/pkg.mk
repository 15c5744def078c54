# Packaging: the sdist, and the check that it builds a working wheel on its
# own (tests/sdist/check_sdist.py). Included by the Makefile; `make test`
# runs test-sdist. Both run offline, without build isolation: make setup has
# installed the build requirements of pyproject.toml and built gopy.

.PHONY: sdist test-sdist

SDIST_DIR := $(BUILD)/dist

sdist: ## build the source distribution into build/dist (mfpo-VERSION.tar.gz)
	@PYTHON='$(PYTHON)' GO='$(GO)' bash scripts/setup.d/python.sh
	@rm -f $(SDIST_DIR)/mfpo-*.tar.gz
	@mkdir -p $(SDIST_DIR); log=$(SDIST_DIR)/sdist.log; \
	if env -u PYTHONPATH $(PYTHON) -c 'import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))' $(SDIST_DIR) >$$log 2>&1; \
	then echo "sdist: $(SDIST_DIR)/$$(tail -1 $$log)"; else cat $$log; echo "sdist: failed"; exit 1; fi

# About 20 s on 2 cores: building the wheel (gopy, cgo) is most of it.
test-sdist: sdist ## check the sdist, build a wheel from it unpacked, install that into a fresh venv, train, save and load with it
	@MFPO_GOTAGS='$(GOTAGS)' GO='$(GO)' $(PYTHON) tests/sdist/check_sdist.py $(SDIST_DIR) $(BUILD)/test-sdist
