/*
 * mfpo.h — the C interface of mfpo (libmfpo.so).
 *
 * This hand-written header is the whole contract of the library. The header
 * that `go build -buildmode=c-shared` generates (build/libmfpo.h) is a build
 * artefact and is not shipped.
 *
 * Linking: cc -I<dir of mfpo.h> prog.c -L<dir of libmfpo.so> -lmfpo
 * (add -Wl,-rpath,<dir> or set LD_LIBRARY_PATH to run it). The library
 * exports only the mfpo_* symbols declared here.
 *
 * Ownership: a `const char *` returned by this library is owned by the
 * library; the caller must not free or modify it.
 *
 * Threading: every function below may be called from any thread, also
 * concurrently. The library carries a Go runtime: load only one Go-built
 * library per process, and do not call into it from the child after fork().
 */
#ifndef MFPO_H
#define MFPO_H

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. mfpo_version() gives the library's version;
 * the two differ only when a program runs against another build than it was
 * compiled with. */
#define MFPO_VERSION "0.1.0"
#define MFPO_VERSION_MAJOR 0
#define MFPO_VERSION_MINOR 1
#define MFPO_VERSION_PATCH 0

/* mfpo_version returns the library's version, "MAJOR.MINOR.PATCH", as a
 * NUL-terminated string.
 *
 * The string is owned by the library, allocated once, and valid for the life
 * of the process; every call returns the same pointer. Never free it.
 * Returns NULL only on an internal error of the library (a bug).
 * Safe to call from any thread. */
const char *mfpo_version(void);

/* mfpo_build_info returns a JSON object describing this build, e.g.
 *   {"version":"0.1.0","go_version":"go1.26.8","blas":"openblas",
 *    "os":"linux","arch":"amd64"}
 * "version" equals mfpo_version(); "blas" names the matrix-product backend
 * ("openblas" or "gonum"). Keys may be added in later versions; none are
 * removed or renamed within a major version.
 *
 * The string is owned by the library, allocated once, and valid for the life
 * of the process; every call returns the same pointer. Never free it.
 * Returns NULL only on an internal error of the library (a bug).
 * Safe to call from any thread. */
const char *mfpo_build_info(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MFPO_H */
