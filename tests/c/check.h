/* check.h — the tiny test harness of the C tests: one line per check and a
 * final "N passed, M failed" (tests/c/run.sh adds them up). Include it in
 * one translation unit per program. */
#ifndef MFPO_TEST_CHECK_H
#define MFPO_TEST_CHECK_H

#include "mfpo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

/* check counts one check; on failure prints the printf-style detail. */
static inline int check(int ok, const char *name, const char *fmt, ...) {
	if (ok) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		va_list ap;
		failed++;
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	return ok;
}

/* check_status checks that a call returned want and, for an error, that
 * mfpo_errmsg(handle) is not empty (and contains `needle` when given). */
static inline int check_status(int got, int want, const void *handle, const char *needle, const char *name) {
	const char *msg = mfpo_errmsg(handle);
	if (got != want)
		return check(0, name, "status %d (%s), want %d (%s); message \"%s\"", got, mfpo_errstr(got), want,
		             mfpo_errstr(want), msg);
	if (want != MFPO_OK && (msg == NULL || msg[0] == '\0'))
		return check(0, name, "status %d but mfpo_errmsg is empty", got);
	if (want != MFPO_OK && needle != NULL && strstr(msg, needle) == NULL)
		return check(0, name, "message \"%s\" does not mention \"%s\"", msg, needle);
	if (want != MFPO_OK)
		printf("     %s -> %s: %s\n", name, mfpo_errstr(got), msg);
	return check(1, name, "");
}

static inline int finish(void) {
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

/* A JSON string starting at *p (on the opening quote): moves *p past the
 * closing quote and copies the raw contents (escapes kept) into out, cut to
 * n-1 bytes. Returns 0 if it is not a well-formed string. */
static inline int json_string(const char **p, char *out, size_t n) {
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
static inline int json_get(const char *js, const char *key, char *out, size_t n) {
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

/* A config small enough for tests that run in seconds. */
#define TINY_CONFIG                                                                                               \
	"{\"preset\":\"small\",\"hidden\":[16,16],\"time_features\":4,\"time_width\":8,\"atoms\":11,"                   \
	"\"v_min\":-50,\"v_max\":50,\"batch_size\":8,\"buffer_size\":1000,\"learning_starts\":0,"                     \
	"\"eval_candidates\":4,\"policy_samples\":2,\"posterior_samples\":4,\"shards\":1,\"seed\":3}"

#endif
