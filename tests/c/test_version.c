/* Tests of the version and build-info functions of libmfpo.so, through
 * mfpo.h only. Prints one line per check and a final "N passed, M failed";
 * exits non-zero if any check failed. */
#include "check.h"

#include <pthread.h>

/* First calls come from several threads at once: the library allocates its
 * strings on first use, and all callers must see the same pointers. */
enum { NTHREADS = 8 };
struct first_call {
	const char *version, *info;
};

static void *call_both(void *arg) {
	struct first_call *r = arg;
	r->version = mfpo_version();
	r->info = mfpo_build_info();
	return NULL;
}

int main(void) {
	char msg[512], val[256], blas[256];
	pthread_t th[NTHREADS];
	struct first_call first[NTHREADS];
	int i, same = 1, started = 1;

	for (i = 0; i < NTHREADS; i++)
		started &= pthread_create(&th[i], NULL, call_both, &first[i]) == 0;
	check(started, "threads started", "%s", "pthread_create failed");
	if (!started)
		return 1;
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);

	const char *v = mfpo_version();
	const char *info = mfpo_build_info();

	for (i = 0; i < NTHREADS; i++)
		same &= first[i].version == v && first[i].info == info;
	check(same, "concurrent first calls return the same pointers as later calls",
	      "%s", "a thread saw a different pointer");

	check(v != NULL, "mfpo_version() is not NULL", "%s", "got NULL");
	check(info != NULL, "mfpo_build_info() is not NULL", "%s", "got NULL");
	if (v == NULL || info == NULL)
		goto done;

	snprintf(msg, sizeof msg, "library \"%s\", header \"%s\"", v, MFPO_VERSION);
	check(strcmp(v, MFPO_VERSION) == 0, "mfpo_version() equals MFPO_VERSION", "%s", msg);

	snprintf(val, sizeof val, "%d.%d.%d", MFPO_VERSION_MAJOR, MFPO_VERSION_MINOR,
	         MFPO_VERSION_PATCH);
	snprintf(msg, sizeof msg, "\"%s\" vs \"%s\"", val, MFPO_VERSION);
	check(strcmp(val, MFPO_VERSION) == 0,
	      "MFPO_VERSION_MAJOR.MINOR.PATCH spells MFPO_VERSION", "%s", msg);

	check(mfpo_version() == v, "mfpo_version() returns the same pointer twice",
	      "%s", "pointers differ");
	check(mfpo_build_info() == info, "mfpo_build_info() returns the same pointer twice",
	      "%s", "pointers differ");

	snprintf(msg, sizeof msg, "not a flat JSON object: %s", info);
	check(json_get(info, "", val, sizeof val) >= 0, "mfpo_build_info() is a JSON object", "%s", msg);

	snprintf(msg, sizeof msg, "in %s", info);
	check(json_get(info, "version", val, sizeof val) == 1 && strcmp(val, v) == 0,
	      "build info \"version\" equals mfpo_version()", "%s", msg);
	check(json_get(info, "go_version", val, sizeof val) == 1 && strncmp(val, "go", 2) == 0,
	      "build info has \"go_version\" starting with \"go\"", "%s", msg);
	check(json_get(info, "blas", blas, sizeof blas) == 1 &&
	          (strcmp(blas, "openblas") == 0 || strcmp(blas, "gonum") == 0),
	      "build info \"blas\" is \"openblas\" or \"gonum\"", "%s", msg);
	/* The kernels this process runs: gonum has one set, OpenBLAS names the
	 * one it chose for this CPU (docs/reproducibility.md). */
	check(json_get(info, "blas_core", val, sizeof val) == 1 && val[0] != '\0' &&
	          (strcmp(blas, "gonum") == 0) == (strcmp(val, "gonum") == 0),
	      "build info \"blas_core\" names the kernels (\"gonum\" exactly for gonum)", "%s", msg);
	check(json_get(info, "blas_config", val, sizeof val) == 1 && val[0] != '\0',
	      "build info has a \"blas_config\"", "%s", msg);
	printf("build info: %s\n", info);

done:
	return finish();
}
