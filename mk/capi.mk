# The C ABI: libmfpo.so from capi/ and the C tests. Included by the Makefile.
#
# capi/mfpo.h is the contract; build/libmfpo.h is cgo's generated header, a
# by-product of the build that is never shipped or included by the tests.

.PHONY: lib test-c

LIBMFPO   := $(BUILD)/libmfpo.so
CTEST_DIR := $(BUILD)/tests/c

# The library is rebuilt when a Go source it compiles, the module files, the
# header, the version script or the BLAS build tag change.
CAPI_SRCS := $(shell find gocore capi -name '*.go' ! -name '*_test.go') \
	go.mod $(wildcard go.sum) capi/mfpo.h capi/mfpo.map

# GOTAGS as of the last build: a file that changes only when GOTAGS does, so
# that installing OpenBLAS (make setup) rebuilds the library against it.
$(BUILD)/capi.tags: FORCE
	@mkdir -p $(@D)
	@echo '$(GOTAGS)' | cmp -s - $@ 2>/dev/null || echo '$(GOTAGS)' > $@
.PHONY: FORCE
FORCE:

# The version script keeps every symbol but mfpo_* out of the dynamic symbol
# table; the Go runtime and cgo glue need no dynamic exports.
lib: $(LIBMFPO) ## build build/libmfpo.so (contract: capi/mfpo.h)
$(LIBMFPO): $(CAPI_SRCS) $(BUILD)/capi.tags
	$(GO) build $(GOFLAGS_TAGS) -buildmode=c-shared \
		-ldflags='-extldflags=-Wl,--version-script=$(CURDIR)/capi/mfpo.map' -o $@ ./capi

CFLAGS_TEST := -Wall -Wextra -Werror -pedantic -Icapi
LDFLAGS_TEST := -L$(BUILD) -lmfpo -Wl,-rpath,'$$ORIGIN/../..'

$(CTEST_DIR)/%: tests/c/%.c capi/mfpo.h $(LIBMFPO)
	@mkdir -p $(@D)
	gcc -std=c11 $(CFLAGS_TEST) -pthread -o $@ $< $(LDFLAGS_TEST)

$(CTEST_DIR)/%: tests/c/%.cpp capi/mfpo.h $(LIBMFPO)
	@mkdir -p $(@D)
	g++ -std=c++17 $(CFLAGS_TEST) -o $@ $< $(LDFLAGS_TEST)

C_TESTS := $(patsubst tests/c/%.c,$(CTEST_DIR)/%,$(wildcard tests/c/*.c)) \
	$(patsubst tests/c/%.cpp,$(CTEST_DIR)/%,$(wildcard tests/c/*.cpp))

test-c: $(C_TESTS) ## C and C++ tests against build/libmfpo.so, and its exported symbols
	@set -e; for t in $(C_TESTS); do echo "== $$t"; $$t; done
	@echo "== exported symbols"; tests/c/check_symbols.sh $(LIBMFPO) capi/mfpo.h
