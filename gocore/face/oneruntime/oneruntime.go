// Package oneruntime finds out, when its library is loaded, whether
// another mfpo library with its own Go runtime was loaded into the
// process before it: libmfpo.so (the C ABI) and mfpo's Python extension
// are each a Go c-shared library, and one process must hold only one Go
// runtime. gocore/face refuses to make handles in the library that came
// second.
//
// How: a C constructor of this package runs while the dynamic loader
// loads the library, before any caller can reach it. It lists the objects
// already loaded (dl_iterate_phdr) and asks each, by dlopen(RTLD_NOLOAD)
// and dlsym, whether it defines a marker symbol: "mfpo_errstr" (every
// libmfpo.so exports it) or "PyInit__mfpo" (the Python extension's module
// init). Objects loaded RTLD_LOCAL, as Python and ctypes load them, are
// found too, which a lookup in the global scope would miss. The object
// that defines the symbol found (dladdr) is the other library, unless it
// is this one. The answer is taken at load time, so of two libraries only
// the second sees the first.
package oneruntime

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

static char oneruntime_found[4096];

struct oneruntime_names { char **v; size_t n, cap; };

static int oneruntime_collect(struct dl_phdr_info *info, size_t size, void *data) {
	struct oneruntime_names *names = data;
	(void)size;
	if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') return 0; // the program itself
	if (names->n == names->cap) {
		size_t cap = names->cap ? 2 * names->cap : 64;
		char **v = realloc(names->v, cap * sizeof *v);
		if (v == NULL) return 1;
		names->v = v, names->cap = cap;
	}
	char *s = strdup(info->dlpi_name);
	if (s != NULL) names->v[names->n++] = s;
	return 0;
}

__attribute__((constructor)) static void oneruntime_scan(void) {
	static const char *const markers[] = {"mfpo_errstr", "PyInit__mfpo"};
	Dl_info self;
	if (!dladdr((void *)&oneruntime_scan, &self)) return;
	struct oneruntime_names names = {0};
	dl_iterate_phdr(oneruntime_collect, &names); // dlopen is called after it, never inside
	for (size_t i = 0; i < names.n; i++) {
		void *h = oneruntime_found[0] ? NULL : dlopen(names.v[i], RTLD_LAZY | RTLD_NOLOAD);
		if (h != NULL) {
			for (size_t m = 0; m < sizeof markers / sizeof *markers; m++) {
				void *sym = dlsym(h, markers[m]);
				Dl_info at;
				if (sym != NULL && dladdr(sym, &at) && at.dli_fbase != self.dli_fbase && at.dli_fname != NULL) {
					strncpy(oneruntime_found, at.dli_fname, sizeof oneruntime_found - 1);
					break;
				}
			}
			dlclose(h);
		}
		free(names.v[i]);
	}
	free(names.v);
}

static const char *oneruntime_other(void) { return oneruntime_found; }
*/
import "C"

// Other is the file of the mfpo library with its own Go runtime that was
// loaded into this process before this one, or "" when there was none.
func Other() string { return C.GoString(C.oneruntime_other()) }
