/* The limits (docs/limits.md) through mfpo.h: the misuse table of issue 15,
 * each case with its documented status, none crashing, hanging or
 * allocating what it asks for. It ends by printing the count of cases by
 * status. */
#define _GNU_SOURCE
#include "check.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

enum { OBS = 3, ACT = 2 };

static int by_status[16];

static void tally(int want) {
	if (want >= 0 && want < 16)
		by_status[want]++;
}

/* create_case: a create of config for obs × act returns want, the message
 * naming needle; nothing is made on failure. */
static void create_case(const char *config, size_t obs, int want, const char *needle, const char *name) {
	mfpo_agent *a = NULL;
	check_status(mfpo_agent_create(&a, config, obs, ACT, NULL, NULL), want, NULL, needle, name);
	tally(want);
	if (a != NULL && want != MFPO_OK)
		check(0, name, "an agent was made");
	mfpo_agent_free(a);
}

static int valid_utf8(const char *s) {
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

int main(void) {
	const float lo[ACT] = {-1, -1}, hi[ACT] = {1, 1};
	(void)lo;
	(void)hi;

	/* ---- configs that aborted the host or came back as EPANIC --------- */
	create_case("{\"preset\":\"small\",\"hidden\":[100000,100000]}", OBS, MFPO_ECONFIG, "hidden", "hidden [1e5, 1e5]");
	create_case("{\"preset\":\"small\",\"hidden\":[65536,65536]}", OBS, MFPO_ESIZE, "hidden", "hidden [65536, 65536]: over the memory limit");
	create_case("{\"hidden\":[2147483648]}", OBS, MFPO_ECONFIG, "hidden", "hidden [2^31]");
	create_case("{\"hidden\":[4611686018427387904]}", OBS, MFPO_ECONFIG, "hidden", "hidden [2^62]");
	create_case("{\"atoms\":2147483648}", OBS, MFPO_ECONFIG, "atoms", "atoms 2^31");
	create_case("{\"buffer_size\":1000000000}", OBS, MFPO_ESIZE, "buffer_size", "buffer_size 1e9");
	create_case("{\"buffer_size\":1e9}", OBS, MFPO_ECONFIG, "buffer_size", "buffer_size 1e9 written with an exponent");
	create_case("{\"buffer_size\":2305843009213693952}", OBS, MFPO_ECONFIG, "buffer_size", "buffer_size 2^61");
	create_case("{\"batch_size\":100000000}", OBS, MFPO_ECONFIG, "batch_size", "batch_size 1e8");
	create_case("{}", 84 * 84, MFPO_ESIZE, "buffer_size", "paper preset, 84x84 observation (56 GB buffer)");
	create_case("{}", (size_t)1 << 20, MFPO_ESIZE, "bytes", "obs_dim 2^20 (the largest width)");
	create_case("{\"v_min\":-1e39}", OBS, MFPO_ECONFIG, "v_min", "v_min -1e39");
	create_case("{\"v_min\":1,\"v_max\":1.00000001}", OBS, MFPO_ECONFIG, "v_max", "v_min 1, v_max 1.00000001");
	create_case("{\"v_min\":-3e38,\"v_max\":3e38,\"atoms\":2}", OBS, MFPO_ECONFIG, "v_min", "v_min -3e38, v_max 3e38");
	create_case("{\"probes\":1099511627776}", OBS, MFPO_ECONFIG, "probes", "probes 2^40");
	create_case("{\"time_width\":4611686018427387904}", OBS, MFPO_ECONFIG, "time_width", "time_width 2^62");
	create_case("{\"eval_candidates\":4611686018427387904}", OBS, MFPO_ECONFIG, "eval_candidates", "eval_candidates 2^62");
	create_case("{\"eval_candidates\":2147483647}", OBS, MFPO_ECONFIG, "eval_candidates", "eval_candidates 2^31-1");
	create_case("{\"steps\":1000000000}", OBS, MFPO_ECONFIG, "steps", "steps 1e9");
	create_case("{\"steps\":2147483647}", OBS, MFPO_ECONFIG, "steps", "steps 2^31-1");
	create_case("{\"posterior_samples\":16777216}", OBS, MFPO_ECONFIG, "posterior_samples", "posterior_samples 2^24");
	create_case("{\"max_bytes\":1000000}", OBS, MFPO_ESIZE, "bytes", "max_bytes 1 MB, paper preset");
	create_case("{\"max_bytes\":-1}", OBS, MFPO_ECONFIG, "max_bytes", "max_bytes -1");

	/* ---- the strict parser --------------------------------------------- */
	create_case("{\"HIDDEN\":[64]}", OBS, MFPO_ECONFIG, "HIDDEN", "key of another case");
	create_case("{\"\xc5\xbf" "eed\":3}", OBS, MFPO_ECONFIG, "unknown key", "key matching only by Unicode folding");
	create_case("{\"seed\":1,\"seed\":2}", OBS, MFPO_ECONFIG, "seed", "repeated key");
	create_case("null", OBS, MFPO_ECONFIG, "(json)", "null config");
	create_case("{\"gamma\":null}", OBS, MFPO_ECONFIG, "gamma", "null value");
	create_case("{\"steps\":2.5}", OBS, MFPO_ECONFIG, "steps", "fraction for an integer");
	create_case("{\"bad\xff\":1}", OBS, MFPO_ECONFIG, "UTF-8", "invalid UTF-8 in the config");
	create_case("{\"st\\u0000eps\":2}", OBS, MFPO_ECONFIG, "unknown key", "\\u0000 in a key: the whole message");
	{
		size_t n = ((size_t)1 << 20) + 16;
		char *big = malloc(n + 1);
		memset(big, ' ', n);
		memcpy(big, "{\"steps\":2", 10);
		big[n - 1] = '}';
		big[n] = '\0';
		create_case(big, OBS, MFPO_ECONFIG, "longer than", "config over 1 MiB: refused, not cut");
		free(big);
	}

	/* ---- acting, storing, the memory limit ----------------------------- */
	mfpo_agent *a = NULL;
	if (mfpo_agent_create(&a, TINY_CONFIG, OBS, ACT, NULL, NULL) != MFPO_OK) {
		printf("FAIL create: %s\n", mfpo_errmsg(NULL));
		return 1;
	}
	float act[ACT] = {7, 7};
	const float fmax[OBS] = {0, FLT_MAX, 0}, big[OBS] = {0, 0, 1.9e38f};
	for (int mode = 0; mode < 4; mode++) {
		check_status(mfpo_agent_act(a, fmax, OBS, 1, mode, 1, act, ACT), MFPO_ENONFINITE, a, "element 1",
		             "act on FLT_MAX");
		tally(MFPO_ENONFINITE);
		check_status(mfpo_agent_act(a, big, OBS, 1, mode, 1, act, ACT), MFPO_ENONFINITE, a, "range",
		             "act on 1.9e38");
		tally(MFPO_ENONFINITE);
	}
	check(act[0] == 7 && act[1] == 7, "refused acts leave act untouched", "%g %g", act[0], act[1]);
	{
		const float r = 1, nx[OBS] = {0, 0, 0};
		const float a2[ACT] = {0, 0};
		uint8_t t = 0;
		check_status(mfpo_agent_store(a, 1, fmax, OBS, a2, ACT, &r, nx, OBS, &t), MFPO_ENONFINITE, a, "obs row 0 element 1",
		             "store of FLT_MAX");
		tally(MFPO_ENONFINITE);
	}
	mfpo_policy *p = NULL;
	check_status(mfpo_agent_policy(a, &p), MFPO_OK, a, NULL, "policy of the agent");
	{
		/* Best-of-N on 10^6 rows (2 * 10^4 under valgrind, 50 times
		 * slower): acted in chunks, memory bounded. */
		size_t rows = RUNNING_ON_VALGRIND ? 20000 : 1000000;
		float *o = calloc(rows * OBS, sizeof *o), *out = malloc(rows * ACT * sizeof *out);
		check_status(mfpo_policy_act(p, o, rows * OBS, rows, MFPO_ACT_BEST_OF_N, 1, out, rows * ACT), MFPO_OK, p, NULL,
		             "best-of-N on 10^6 rows, in chunks");
		tally(MFPO_OK);
		int fin = 1;
		for (size_t i = 0; i < rows * ACT; i++)
			fin &= out[i] >= -1 && out[i] <= 1;
		check(fin, "10^6 best-of-N actions in the box", "");
		free(o);
		free(out);
	}
	int64_t old = mfpo_set_memory_limit(1 << 16);
	check(mfpo_memory_limit() == 1 << 16, "mfpo_set_memory_limit sets it", "%lld", (long long)mfpo_memory_limit());
	{
		size_t len = 0;
		check_status(mfpo_agent_save_buffer(a, MFPO_SAVE_POLICY, NULL, 0, &len), MFPO_OK, a, NULL, "size query");
		void *buf = malloc(len);
		mfpo_agent_save_buffer(a, MFPO_SAVE_POLICY, buf, len, &len);
		mfpo_policy *q = NULL;
		check_status(mfpo_policy_load_buffer(&q, buf, len), MFPO_ESIZE, NULL, "bytes", "policy load over the process's limit");
		tally(MFPO_ESIZE);
		mfpo_agent *b = NULL;
		check_status(mfpo_agent_create(&b, TINY_CONFIG, OBS, ACT, NULL, NULL), MFPO_ESIZE, NULL, "bytes",
		             "create over the process's limit");
		tally(MFPO_ESIZE);
		mfpo_set_memory_limit(old);
		check_status(mfpo_policy_load_buffer(&q, buf, len), MFPO_OK, NULL, NULL, "the same load under the restored limit");
		tally(MFPO_OK);
		mfpo_policy_free(q);
		free(buf);
	}
	check(mfpo_memory_limit() == old, "the limit is restored", "");

	/* ---- files -------------------------------------------------------- */
	char dir[] = "/tmp/mfpo-limits-XXXXXX";
	if (mkdtemp(dir) != NULL) {
		char fifo[64];
		snprintf(fifo, sizeof fifo, "%s/fifo", dir);
		if (mkfifo(fifo, 0600) == 0) {
			mfpo_agent *b = NULL;
			mfpo_policy *q = NULL;
			check_status(mfpo_agent_load(&b, fifo), MFPO_EFORMAT, NULL, "not a regular file", "agent load of a FIFO returns");
			tally(MFPO_EFORMAT);
			check_status(mfpo_policy_load(&q, fifo), MFPO_EFORMAT, NULL, "not a regular file", "policy load of a FIFO returns");
			tally(MFPO_EFORMAT);
			unlink(fifo);
		}
		char bad[64];
		snprintf(bad, sizeof bad, "%s/bad\xff\xfe.mfpo", dir);
		mfpo_policy *q = NULL;
		check_status(mfpo_policy_load(&q, bad), MFPO_EIO, NULL, "bad\\xff\\xfe", "a path of invalid UTF-8 is escaped");
		tally(MFPO_EIO);
		check(valid_utf8(mfpo_errmsg(NULL)), "the message is valid UTF-8", "%s", mfpo_errmsg(NULL));
		rmdir(dir);
	}

	/* ---- handles ------------------------------------------------------ */
	check_status(mfpo_policy_free((mfpo_policy *)a), MFPO_EHANDLE, a, "not a policy handle", "an agent freed as a policy");
	tally(MFPO_EHANDLE);
	check_status(mfpo_agent_free((mfpo_agent *)p), MFPO_EHANDLE, p, "not an agent handle", "a policy freed as an agent");
	tally(MFPO_EHANDLE);
	mfpo_agent *never = (mfpo_agent *)(uintptr_t)0x4d46000fffffffffull;
	check_status(mfpo_agent_free(never), MFPO_EHANDLE, never, "never issued", "a never-issued handle says so");
	tally(MFPO_EHANDLE);
	mfpo_policy_free(p);
	mfpo_agent_free(a);
	check(mfpo_debug_live_handles() == 0, "no live handles at the end", "%zu", mfpo_debug_live_handles());

	static const char *const names[] = {"OK", "EINVAL", "ECONFIG", "ESHAPE", "ENONFINITE", "ENODATA", "EUPDATE",
	                                    "EHANDLE", "EIO", "EFORMAT", "EPANIC", "ESIZE", "EVERSION"};
	int total = 0;
	printf("cases by status:");
	for (int s = 0; s < 13; s++)
		if (by_status[s] > 0) {
			printf(" %s %d", names[s], by_status[s]);
			total += by_status[s];
		}
	printf(" (%d cases)\n", total);
	return finish();
}
