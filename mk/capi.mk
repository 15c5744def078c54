# The C ABI: libmfpo.so from capi/, its C and C++ tests, install, the C++
# examples and the acting benchmark. Included by the Makefile.
#
# capi/mfpo.h is the contract; build/libmfpo.h is cgo's generated header, a
# by-product of the build that is never shipped or included by the tests.

.PHONY: lib test-c install examples-cpp bench-capi

LIBMFPO   := $(BUILD)/libmfpo.so
CTEST_DIR := $(BUILD)/tests/c
PREFIX    ?= /usr/local
MFPO_VERSION_STR = $(shell sed -n 's/^\#define MFPO_VERSION "\(.*\)"/\1/p' capi/mfpo.h)

# The library is rebuilt when a Go source it compiles, the module files, the
# header, the C helpers, the version script or the BLAS build tag change.
CAPI_SRCS := $(shell find gocore capi -name '*.go' ! -name '*_test.go') \
	$(wildcard capi/*.c capi/*.h) \
	go.mod $(wildcard go.sum) capi/mfpo.h capi/mfpo.map mk/capi.mk

# GOTAGS as of the last build: a file that changes only when GOTAGS does, so
# that installing OpenBLAS (make setup) rebuilds the library against it.
$(BUILD)/capi.tags: FORCE
	@mkdir -p $(@D)
	@echo '$(GOTAGS)' | cmp -s - $@ 2>/dev/null || echo '$(GOTAGS)' > $@
.PHONY: FORCE
FORCE:

# The version script keeps every symbol but mfpo_* out of the dynamic symbol
# table; the Go runtime and cgo glue need no dynamic exports. The soname
# makes programs record "libmfpo.so" however they are linked (CMake links by
# full path).
lib: $(LIBMFPO) ## build build/libmfpo.so (contract: capi/mfpo.h)
$(LIBMFPO): $(CAPI_SRCS) $(BUILD)/capi.tags
	$(GO) build $(GOFLAGS_TAGS) -buildmode=c-shared \
		-ldflags='-extldflags "-Wl,--version-script=$(CURDIR)/capi/mfpo.map -Wl,-soname,libmfpo.so"' -o $@ ./capi

# ---- tests ---------------------------------------------------------------
#
# Every tests/c/*.c and *.cpp (but bench_* and act_tool) is a test program
# that includes only mfpo.h or mfpo.hpp and links build/libmfpo.so. Each is
# built twice: plainly, and with AddressSanitizer + LeakSanitizer +
# UndefinedBehaviorSanitizer (the C and C++ side is instrumented; the Go side
# is memory-safe and not). The fast programs also run under valgrind's
# memcheck with tests/c/valgrind.supp, which silences only the Go runtime's
# own noise (docs/capi.md).

CFLAGS_TEST  := -Wall -Wextra -Werror -pedantic -Icapi -g
LDFLAGS_TEST  = -L$(BUILD) -lmfpo -Wl,-rpath,'$$ORIGIN/../..'
SANITIZE     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_ASAN  = -L$(BUILD) -lmfpo -Wl,-rpath,'$$ORIGIN/../../..'
ASAN_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
VALGRIND     := valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible \
	--suppressions=tests/c/valgrind.supp
# Not under valgrind: test_threads (8 × 100 000 acts; valgrind runs one
# thread at a time) — AddressSanitizer covers it.
VALGRIND_TESTS = $(filter-out %/test_threads,$(C_TESTS))

$(CTEST_DIR)/%: tests/c/%.c tests/c/check.h capi/mfpo.h $(LIBMFPO)
	@mkdir -p $(@D)
	gcc -std=c11 $(CFLAGS_TEST) -pthread -o $@ $< $(LDFLAGS_TEST) -lm

$(CTEST_DIR)/%: tests/c/%.cpp capi/mfpo.h capi/mfpo.hpp $(LIBMFPO)
	@mkdir -p $(@D)
	g++ -std=c++17 $(CFLAGS_TEST) -pthread -o $@ $< $(LDFLAGS_TEST)

$(CTEST_DIR)/asan/%: tests/c/%.c tests/c/check.h capi/mfpo.h $(LIBMFPO)
	@mkdir -p $(@D)
	gcc -std=c11 $(CFLAGS_TEST) $(SANITIZE) -pthread -o $@ $< $(LDFLAGS_ASAN) -lm

$(CTEST_DIR)/asan/%: tests/c/%.cpp capi/mfpo.h capi/mfpo.hpp $(LIBMFPO)
	@mkdir -p $(@D)
	g++ -std=c++17 $(CFLAGS_TEST) $(SANITIZE) -pthread -o $@ $< $(LDFLAGS_ASAN)

C_TEST_NAMES := $(patsubst tests/c/%.c,%,$(filter-out tests/c/face_tool.c,$(wildcard tests/c/*.c))) \
	$(patsubst tests/c/%.cpp,%,$(filter-out tests/c/bench_% tests/c/act_tool.cpp,$(wildcard tests/c/*.cpp)))
C_TESTS      := $(addprefix $(CTEST_DIR)/,$(C_TEST_NAMES))
C_TESTS_ASAN := $(addprefix $(CTEST_DIR)/asan/,$(C_TEST_NAMES))
TALLY        := $(CTEST_DIR)/tally

# act_tool: the C++ half of tests/python/test_parity_cpp.py (a tool the
# Python test runs, not a test program: left out of C_TEST_NAMES above). The
# $(CTEST_DIR)/% rule for *.cpp builds it.
ACT_TOOL := $(CTEST_DIR)/act_tool
.PHONY: act-tool
act-tool: $(ACT_TOOL) ## build build/tests/c/act_tool (C++ actions of a checkpoint, for the Python parity test)

# The Go half of tests/c/test_parity.c: a checkpoint saved from Go and the
# actions Go gives for it, computed with the library's BLAS backend.
PARITY_DIR := $(CTEST_DIR)/parity
export MFPO_PARITY_DIR := $(PARITY_DIR)
$(PARITY_DIR)/expected.txt: tests/c/parity/main.go $(CAPI_SRCS) $(BUILD)/capi.tags
	$(GO) run $(GOFLAGS_TAGS) ./tests/c/parity $(PARITY_DIR)

test-c: $(C_TESTS) $(C_TESTS_ASAN) $(PARITY_DIR)/expected.txt ## C and C++ tests of libmfpo.so: plain, sanitizers, valgrind, symbols, install
	@rm -f $(TALLY)
	@tests/c/run.sh $(TALLY) plain "" $(C_TESTS)
	@$(ASAN_ENV) tests/c/run.sh $(TALLY) asan+ubsan "" $(C_TESTS_ASAN)
	@if command -v valgrind >/dev/null; then tests/c/run.sh $(TALLY) valgrind "$(VALGRIND)" $(VALGRIND_TESTS); \
	else echo "== valgrind is not installed: the memcheck pass is skipped"; fi
	@echo "== exported symbols"; \
	if tests/c/check_symbols.sh $(LIBMFPO) capi/mfpo.h; then echo "1 0" >> $(TALLY); else echo "0 1" >> $(TALLY); fi
	@echo "== install"; tests/c/install_test.sh $(BUILD)/install-test | tee $(BUILD)/install-test.log; \
	tail -1 $(BUILD)/install-test.log | awk '/passed/ {print $$1, $$3}' >> $(TALLY)
	@tests/c/run.sh --total $(TALLY)

# ---- install ---------------------------------------------------------------

CKPT_SCHEMAS = $(wildcard gocore/checkpoint/schema/*.fbs)

install: $(LIBMFPO) ## install the library, mfpo.h, mfpo.hpp, the checkpoint schema, pkg-config and CMake files into PREFIX (/usr/local)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/mfpo $(DESTDIR)$(PREFIX)/include
	install -m 755 $(LIBMFPO) $(DESTDIR)$(PREFIX)/lib/libmfpo.so
	install -m 644 capi/mfpo.h capi/mfpo.hpp $(DESTDIR)$(PREFIX)/include/
	sed 's/@VERSION@/$(MFPO_VERSION_STR)/g' capi/mfpo.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mfpo.pc
	sed 's/@VERSION@/$(MFPO_VERSION_STR)/g' capi/mfpoConfig.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/mfpo/mfpoConfig.cmake
	sed 's/@VERSION@/$(MFPO_VERSION_STR)/g' capi/mfpoConfigVersion.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/mfpo/mfpoConfigVersion.cmake
	$(if $(CKPT_SCHEMAS),install -d $(DESTDIR)$(PREFIX)/share/mfpo/schema && install -m 644 $(CKPT_SCHEMAS) $(DESTDIR)$(PREFIX)/share/mfpo/schema/)

# ---- C++ examples and the acting benchmark -----------------------------------

CXXFLAGS_EX := -std=c++17 -O2 -Wall -Wextra -Werror -Icapi
EXAMPLES_CPP := $(patsubst examples/cpp/%.cpp,$(BUILD)/examples/%,$(wildcard examples/cpp/*.cpp))

$(BUILD)/examples/%: examples/cpp/%.cpp capi/mfpo.h capi/mfpo.hpp $(LIBMFPO)
	@mkdir -p $(@D)
	g++ $(CXXFLAGS_EX) -pthread -o $@ $< -L$(BUILD) -lmfpo -Wl,-rpath,'$$ORIGIN/..'

examples-cpp: $(EXAMPLES_CPP) ## build the C++ examples (examples/cpp) into build/examples
	@echo "built: $(EXAMPLES_CPP)"

$(BUILD)/bench/bench_act: tests/c/bench_act.cpp capi/mfpo.h capi/mfpo.hpp $(LIBMFPO)
	@mkdir -p $(@D)
	g++ $(CXXFLAGS_EX) -pthread -o $@ $< -L$(BUILD) -lmfpo -Wl,-rpath,'$$ORIGIN/..'

bench-capi: $(BUILD)/bench/bench_act ## C++ single-observation act latency through libmfpo.so (HalfCheetah sizes, paper networks) and the ABI crossing cost
	$(BUILD)/bench/bench_act | tee $(BUILD)/bench-capi.txt

# face_tool: the C half of tests/python/test_conformance.py (reads C ABI
# calls from stdin); like act_tool, a tool, not a test program.
FACE_TOOL := $(CTEST_DIR)/face_tool
.PHONY: face-tool
face-tool: $(FACE_TOOL) ## build build/tests/c/face_tool (the C half of the face conformance test)
