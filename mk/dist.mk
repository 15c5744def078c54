# Binary distributions for users without Go, gopy, OpenBLAS or root: the
# manylinux wheels (make wheel) and the C/C++ tarball (make dist-c), with
# the tests that use each where none of the build tools can be seen.
# scripts/dist/dist.py does the work; scripts/setup.d/dist.sh (make setup)
# prepares a build venv and an offline wheelhouse per CPython.

.PHONY: wheel test-wheel dist-c test-dist-c

DIST_DIR  := $(BUILD)/dist
# Not in build/dist, where the sdist is the one mfpo-*.tar.gz (mk/pkg.mk).
DIST_C    := $(BUILD)/dist-c/mfpo-$(MFPO_VERSION_STR)-linux-x86_64.tar.gz

# Rebuilt when what the Python package is built from (PY_SRCS, mk/python.mk),
# the build tags or the tools change.
WHEEL_STAMP := $(DIST_DIR)/wheels.stamp
wheel: $(WHEEL_STAMP) ## build a manylinux wheel per CPython on this machine into build/dist (OpenBLAS and libgfortran vendored)
$(WHEEL_STAMP): $(PY_SRCS) $(BUILD)/capi.tags scripts/dist/dist.py mk/dist.mk
	@PYTHON='$(PYTHON)' GO='$(GO)' bash scripts/setup.d/python.sh
	@PYTHON='$(PYTHON)' bash scripts/setup.d/dist.sh
	@MFPO_GOTAGS='$(GOTAGS)' GO='$(GO)' $(PYTHON) scripts/dist/dist.py wheels $(DIST_DIR)
	@touch $@

# Each wheel goes into a fresh venv (no system site-packages; its
# dependencies from the offline wheelhouse) and is used by a process that
# cannot see Go, gopy, the checkout or the system's OpenBLAS.
test-wheel: wheel ## install each wheel into a fresh venv and train, save, load and act with it, build tools and system OpenBLAS hidden
	@$(PYTHON) tests/dist/check_wheel.py $(DIST_DIR)

dist-c: $(LIBMFPO) ## the relocatable C/C++ tarball build/dist-c/mfpo-VERSION-linux-x86_64.tar.gz (libmfpo.so, OpenBLAS vendored, headers, pkg-config, CMake)
	@PYTHON='$(PYTHON)' GO='$(GO)' bash scripts/setup.d/python.sh
	@$(PYTHON) scripts/dist/dist.py dist-c $(LIBMFPO) $(DIST_C)

# In a fresh folder under /tmp, away from any build tree; removed when it passed.
test-dist-c: dist-c ## unpack the tarball outside the tree, build and run the pkg-config and CMake consumers, checkout and system OpenBLAS hidden
	@tmp=$$(mktemp -d /tmp/mfpo-test-dist-c.XXXXXX) && tests/c/install_test.sh $$tmp $(DIST_C) && rm -rf $$tmp
