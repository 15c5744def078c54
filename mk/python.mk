# The Python face: the gopy extension and the mfpo package (pip install .),
# and the Python tests. Included by the Makefile.
#
# setup.py runs gopy (build/bin/gopy, built by scripts/setup.d/python.sh from
# the pinned tools module tools/gopy) on bindings/ and installs the extension
# as the private module mfpo._gopy. Build isolation is off: make setup has
# installed pyproject.toml's build requirements, so no network is needed here.

.PHONY: python test-python

PY_STAMP := $(BUILD)/python.stamp

# The package is reinstalled when a Go source the extension could compile,
# the module files, the Python sources, the build hook, the gopy pin or
# build/python.id (below) change.
PY_SRCS := $(shell find gocore bindings -name '*.go' ! -name '*_test.go') \
	$(shell find python -path python/mfpo/_gopy -prune -o -type f \( -name '*.py' -o -name py.typed \) -print) \
	go.mod $(wildcard go.sum) pyproject.toml setup.py $(wildcard MANIFEST.in) \
	tools/gopy/go.mod tools/gopy/go.sum

# What the last install was made with and where it went: GOTAGS, the
# interpreter, and the file `import mfpo` finds (without importing it). The
# file is rewritten only when one of them changes, so installing OpenBLAS
# (make setup), switching Python, `pip install -e .` or `pip uninstall mfpo`
# all make `make python` install again.
PY_ID_CMD = echo 'tags=$(GOTAGS)'; $(PYTHON) -c 'import sys, importlib.util as u; s = u.find_spec("mfpo"); print("python=" + sys.executable); print("mfpo=" + str(s and s.origin))'
$(BUILD)/python.id: py-force
	@mkdir -p $(@D)
	@id="$$($(PY_ID_CMD))"; [ "$$id" = "$$(cat $@ 2>/dev/null)" ] || echo "$$id" > $@
.PHONY: py-force
py-force:

python: $(PY_STAMP) ## build and install the Python package (pip install .; gopy extension, platform wheel)
$(PY_STAMP): $(PY_SRCS) $(BUILD)/python.id
	@test -x $(BUILD)/bin/gopy -a -x $(BUILD)/bin/goimports || bash scripts/setup.d/python.sh
	MFPO_GOTAGS='$(GOTAGS)' GO='$(GO)' PIP_ROOT_USER_ACTION=ignore \
		$(PYTHON) -m pip install --no-build-isolation --no-deps -q .
	@($(PY_ID_CMD)) > $(BUILD)/python.id
	@touch $@

# pytest runs from an empty directory under build/ with PYTHONPATH unset, so
# `import mfpo` finds the installed package, never python/ in the checkout.
# Exit status 5 (no tests collected) is a failure. The test-time packages
# (gymnasium, MuJoCo, dm_control, nbclient, …: pyproject's `test` extra)
# come from scripts/setup.d/python.sh, which costs one Python start-up when they are
# all present. The suite takes about 1.5 minutes on an idle 2-core machine
# (3 when the cores are shared; the Pendulum
# learning test and the notebook are most of it); `-k 'not learning'`
# skips the learning test when iterating.
# The Python ↔ C++ parity test runs build/tests/c/act_tool (mk/capi.mk).
test-python: $(ACT_TOOL) $(FACE_TOOL)
test-python: python ## pytest tests/python against the installed package
	@bash scripts/setup.d/python.sh
	@mkdir -p $(BUILD)/pytest-cwd
	@cd $(BUILD)/pytest-cwd || exit 1; rc=0; \
		env -u PYTHONPATH MFPO_TEST_INSTALLED=1 MFPO_GOTAGS='$(GOTAGS)' $(PYTHON) -m pytest -p no:cacheprovider -q --durations=15 $(CURDIR)/tests/python $(PYTEST_ARGS) || rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "test-python: no tests collected"; exit 1; fi; exit $$rc
