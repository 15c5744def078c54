/* Tests of the version and build-info functions of libmfpo.so, through
 * mfpo.h only. Prints one line per check and a final "N passed, M failed";
 * exits non-zero if any check failed. */
#include "mfpo.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *name, const char *detail) {
	if (ok) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s: %s\n", name, detail ? detail : "");
	}
}

/* A JSON string starting at *p (on the opening quote): moves *p past the
 * closing quote and copies the raw contents (escapes kept) into out, cut to
 * n-1 bytes. Returns 0 if it is not a well-formed string. */
static int json_string(const char **p, char *out, size_t n) {
	const char *s = *p;
	size_t len = 0;
	if (*s++ != '"')
		return 0;
	for (; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return 0;
		if (*s == '\\' && *++s == '\0')
			return 0;
		if (len + 1 < n)
			out[len++] = *s;
	}
	out[len] = '\0';
	*p = s + 1;
	return 1;
}

/* json_get checks that js is a flat JSON object whose values are strings,
 * numbers or true/false/null, and copies the raw value of key (strings
 * without their quotes) into out. Returns -1 if js is malformed, 0 if the key
 * is absent, 1 if found. */
static int json_get(const char *js, const char *key, char *out, size_t n) {
	char k[64], v[256];
	int found = 0;
	const char *p = js;
	if (*p++ != '{')
		return -1;
	if (*p == '}')
		return p[1] == '\0' ? 0 : -1;
	for (;;) {
		if (!json_string(&p, k, sizeof k) || *p++ != ':')
			return -1;
		if (*p == '"') {
			if (!json_string(&p, v, sizeof v))
				return -1;
		} else {
			size_t len = strspn(p, "-+.0123456789eEtruefalsn");
			if (len == 0 || len >= sizeof v)
				return -1;
			memcpy(v, p, len);
			v[len] = '\0';
			p += len;
		}
		if (strcmp(k, key) == 0) {
			snprintf(out, n, "%s", v);
			found = 1;
		}
		if (*p == '}')
			return p[1] == '\0' ? found : -1;
		if (*p++ != ',')
			return -1;
	}
}

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
	char msg[512], val[256];
	pthread_t th[NTHREADS];
	struct first_call first[NTHREADS];
	int i, same = 1, started = 1;

	for (i = 0; i < NTHREADS; i++)
		started &= pthread_create(&th[i], NULL, call_both, &first[i]) == 0;
	check(started, "threads started", "pthread_create failed");
	if (!started)
		return 1;
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);

	const char *v = mfpo_version();
	const char *info = mfpo_build_info();

	for (i = 0; i < NTHREADS; i++)
		same &= first[i].version == v && first[i].info == info;
	check(same, "concurrent first calls return the same pointers as later calls",
	      "a thread saw a different pointer");

	check(v != NULL, "mfpo_version() is not NULL", "got NULL");
	check(info != NULL, "mfpo_build_info() is not NULL", "got NULL");
	if (v == NULL || info == NULL)
		goto done;

	snprintf(msg, sizeof msg, "library \"%s\", header \"%s\"", v, MFPO_VERSION);
	check(strcmp(v, MFPO_VERSION) == 0, "mfpo_version() equals MFPO_VERSION", msg);

	snprintf(val, sizeof val, "%d.%d.%d", MFPO_VERSION_MAJOR, MFPO_VERSION_MINOR,
	         MFPO_VERSION_PATCH);
	snprintf(msg, sizeof msg, "\"%s\" vs \"%s\"", val, MFPO_VERSION);
	check(strcmp(val, MFPO_VERSION) == 0,
	      "MFPO_VERSION_MAJOR.MINOR.PATCH spells MFPO_VERSION", msg);

	check(mfpo_version() == v, "mfpo_version() returns the same pointer twice",
	      "pointers differ");
	check(mfpo_build_info() == info, "mfpo_build_info() returns the same pointer twice",
	      "pointers differ");

	snprintf(msg, sizeof msg, "not a flat JSON object: %s", info);
	check(json_get(info, "", val, sizeof val) >= 0, "mfpo_build_info() is a JSON object", msg);

	snprintf(msg, sizeof msg, "in %s", info);
	check(json_get(info, "version", val, sizeof val) == 1 && strcmp(val, v) == 0,
	      "build info \"version\" equals mfpo_version()", msg);
	check(json_get(info, "go_version", val, sizeof val) == 1 && strncmp(val, "go", 2) == 0,
	      "build info has \"go_version\" starting with \"go\"", msg);
	check(json_get(info, "blas", val, sizeof val) == 1 &&
	          (strcmp(val, "openblas") == 0 || strcmp(val, "gonum") == 0),
	      "build info \"blas\" is \"openblas\" or \"gonum\"", msg);
	printf("build info: %s\n", info);

done:
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
