# The C ABI: libmfpo.so from capi/ and the C tests. (Filled by the capi work.)
.PHONY: lib test-c
lib: ## build build/libmfpo.so
test-c: lib ## C tests against build/libmfpo.so
