/* Misuse of libmfpo.so through mfpo.h: every case returns its documented
 * status with a message, never crashes, and leaves the outputs untouched.
 * docs/capi.md's misuse table lists the same cases. */
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum { OBS = 3, ACT = 2 };

#define SENTINEL 1234.5f

static void fill(float *x, size_t n, float v) {
	for (size_t i = 0; i < n; i++)
		x[i] = v;
}

static int untouched(const float *x, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (x[i] != SENTINEL)
			return 0;
	return 1;
}

static mfpo_agent *new_agent(void) {
	mfpo_agent *a = NULL;
	if (mfpo_agent_create(&a, TINY_CONFIG, OBS, ACT, NULL, NULL) != MFPO_OK) {
		printf("FAIL create: %s\n", mfpo_errmsg(NULL));
		exit(1);
	}
	return a;
}

/* create_status tries a create and checks that *out stays as it was. */
static void create_case(const char *config, size_t obs, size_t act, const float *lo, const float *hi, int want,
                        const char *needle, const char *name) {
	mfpo_agent *a = (mfpo_agent *)&passed; /* any value: it must stay */
	check_status(mfpo_agent_create(&a, config, obs, act, lo, hi), want, NULL, needle, name);
	if (a != (mfpo_agent *)&passed) {
		check(0, name, "*out was written on failure");
		mfpo_agent_free(a);
	}
}

static void store_rows(mfpo_agent *a, int n) {
	float o[OBS] = {0.1f, 0.2f, 0.3f}, act[ACT] = {0.5f, -0.5f}, r = 1, nx[OBS] = {0.2f, 0.3f, 0.4f};
	uint8_t t = 0;
	for (int i = 0; i < n; i++) {
		o[0] = (float)i / (float)n;
		mfpo_agent_store(a, 1, o, OBS, act, ACT, &r, nx, OBS, &t);
	}
}

/* Thread-local messages: another thread sees none of this thread's. */
struct other {
	const void *handle;
	const char *msg;
};
static void *read_other(void *arg) {
	struct other *o = arg;
	o->msg = mfpo_errmsg(o->handle);
	return NULL;
}

int main(void) {
	const float obs[2 * OBS] = {0, 1, 2, 3, 4, 5};
	float act[2 * ACT];
	const float lo[ACT] = {-1, -1}, hi[ACT] = {1, 1};

	/* ---- create ------------------------------------------------------ */
	check_status(mfpo_agent_create(NULL, TINY_CONFIG, OBS, ACT, NULL, NULL), MFPO_EINVAL, NULL, "out",
	             "create: out NULL");
	create_case("{\"hiden\":[8]}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, "hiden", "create: unknown JSON key");
	create_case("{\"hidden\":[8],}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, NULL, "create: JSON syntax error");
	create_case("{\"hidden\":\"wide\"}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, "hidden", "create: wrong JSON type");
	create_case("{\"gamma\":2}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, "gamma = 2", "create: value out of range");
	create_case("{} {}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, "trailing data", "create: trailing data");
	create_case("[1,2]", OBS, ACT, NULL, NULL, MFPO_ECONFIG, NULL, "create: not an object");
	create_case("{\"preset\":\"huge\"}", OBS, ACT, NULL, NULL, MFPO_ECONFIG, "preset", "create: unknown preset");
	create_case("", OBS, ACT, NULL, NULL, MFPO_ECONFIG, NULL, "create: empty string");
	create_case(TINY_CONFIG, 0, ACT, NULL, NULL, MFPO_EINVAL, "obs_dim", "create: obs_dim 0");
	create_case(TINY_CONFIG, OBS, 0, NULL, NULL, MFPO_EINVAL, "act_dim", "create: act_dim 0");
	create_case(TINY_CONFIG, (size_t)1 << 40, ACT, NULL, NULL, MFPO_EINVAL, "obs_dim", "create: obs_dim huge");
	create_case(TINY_CONFIG, OBS, ACT, lo, NULL, MFPO_EINVAL, "both", "create: one bound NULL");
	{
		const float bad_lo[ACT] = {-1, 2}, nan_lo[ACT] = {-1, NAN}, inf_hi[ACT] = {1, INFINITY};
		create_case(TINY_CONFIG, OBS, ACT, bad_lo, hi, MFPO_EINVAL, "low < high", "create: low >= high");
		create_case(TINY_CONFIG, OBS, ACT, nan_lo, hi, MFPO_EINVAL, "finite", "create: NaN bound");
		create_case(TINY_CONFIG, OBS, ACT, lo, inf_hi, MFPO_EINVAL, "finite", "create: infinite bound");
	}

	/* ---- handles ----------------------------------------------------- */
	mfpo_agent *a = new_agent();
	mfpo_policy *p = NULL;
	mfpo_agent_policy(a, &p);
	mfpo_agent *freed = new_agent();
	mfpo_policy *pfreed = NULL;
	mfpo_agent_policy(freed, &pfreed);
	check_status(mfpo_policy_free(pfreed), MFPO_OK, pfreed, NULL, "free a policy");
	check_status(mfpo_agent_free(freed), MFPO_OK, freed, NULL, "free an agent");

	fill(act, 2 * ACT, SENTINEL);
	check_status(mfpo_agent_act(NULL, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, NULL, "NULL", "act: NULL agent");
	check_status(mfpo_policy_act(NULL, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, NULL, "NULL",
	             "act: NULL policy");
	check_status(mfpo_agent_act(freed, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, freed, "freed",
	             "act: freed agent");
	check_status(mfpo_policy_act(pfreed, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, pfreed, "freed",
	             "act: freed policy");
	check_status(mfpo_agent_free(freed), MFPO_EHANDLE, freed, "freed", "double free of an agent");
	check_status(mfpo_policy_free(pfreed), MFPO_EHANDLE, pfreed, "freed", "double free of a policy");
	check_status(mfpo_agent_act((mfpo_agent *)p, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, p, "is a policy handle",
	             "act: a policy passed as an agent");
	check_status(mfpo_policy_act((mfpo_policy *)a, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, a, "is an agent handle",
	             "act: an agent passed as a policy");
	check_status(mfpo_agent_free((mfpo_agent *)p), MFPO_EHANDLE, p, NULL, "agent_free of a policy");
	check_status(mfpo_policy_free((mfpo_policy *)a), MFPO_EHANDLE, a, NULL, "policy_free of an agent");
	check_status(mfpo_agent_act((mfpo_agent *)(uintptr_t)0x1234, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE,
	             (void *)(uintptr_t)0x1234, "not an", "act: a made-up handle");
	{
		int local;
		check_status(mfpo_agent_act((mfpo_agent *)&local, obs, OBS, 1, 0, 0, act, ACT), MFPO_EHANDLE, &local,
		             "not an", "act: a pointer to caller memory as a handle");
		check_status(mfpo_agent_free((mfpo_agent *)&local), MFPO_EHANDLE, &local, NULL,
		             "free: a pointer to caller memory as a handle");
	}
	check(untouched(act, 2 * ACT), "act untouched by the handle errors", "written");
	{
		size_t o = 7, n = 0;
		int64_t u = 7;
		mfpo_stats st = MFPO_STATS_INIT;
		mfpo_policy *q = (mfpo_policy *)&passed;
		float r = 0;
		uint8_t t = 0;
		check_status(mfpo_agent_dims(freed, &o, NULL), MFPO_EHANDLE, freed, NULL, "dims: freed agent");
		check_status(mfpo_policy_dims(pfreed, &o, NULL), MFPO_EHANDLE, pfreed, NULL, "dims: freed policy");
		check_status(mfpo_agent_counters(freed, &u, NULL), MFPO_EHANDLE, freed, NULL, "counters: freed agent");
		check_status(mfpo_agent_store(freed, 1, obs, OBS, obs, ACT, &r, obs, OBS, &t), MFPO_EHANDLE, freed, NULL,
		             "store: freed agent");
		check_status(mfpo_agent_update(freed, 1, &st), MFPO_EHANDLE, freed, NULL, "update: freed agent");
		check_status(mfpo_agent_config(freed, NULL, 0, &n), MFPO_EHANDLE, freed, NULL, "config: freed agent");
		check_status(mfpo_policy_config(pfreed, NULL, 0, &n), MFPO_EHANDLE, pfreed, NULL,
		             "config: freed policy");
		check_status(mfpo_agent_policy(freed, &q), MFPO_EHANDLE, freed, NULL, "policy: freed agent");
		check(o == 7 && u == 7 && n == 0 && st.updates == 0 && q == (mfpo_policy *)&passed,
		      "outputs untouched by the handle errors", "written");
	}

	/* ---- act ----------------------------------------------------------- */
	fill(act, 2 * ACT, SENTINEL);
	check_status(mfpo_agent_act(a, obs, 0, 0, 0, 0, act, ACT), MFPO_EINVAL, a, "rows", "act: rows 0");
	check_status(mfpo_agent_act(a, obs, OBS, 1, 7, 0, act, ACT), MFPO_EINVAL, a, "mode", "act: unknown mode");
	check_status(mfpo_agent_act(a, obs, OBS, 1, -1, 0, act, ACT), MFPO_EINVAL, a, "mode", "act: negative mode");
	check_status(mfpo_policy_act(p, obs, OBS, 1, MFPO_ACT_EXPLORE, 0, act, ACT), MFPO_EINVAL, p, "\"explore\" is for training agents",
	             "act: explore on a policy");
	check_status(mfpo_agent_act(a, NULL, OBS, 1, 0, 0, act, ACT), MFPO_EINVAL, a, "obs", "act: obs NULL");
	check_status(mfpo_agent_act(a, obs, OBS, 1, 0, 0, NULL, ACT), MFPO_EINVAL, a, "act", "act: act NULL");
	check_status(mfpo_agent_act(a, obs, 2 * OBS - 1, 2, 0, 0, act, 2 * ACT), MFPO_ESHAPE, a, "obs has",
	             "act: obs_len not rows x obs_dim");
	check_status(mfpo_agent_act(a, obs, 2 * OBS, 1, 0, 0, act, 2 * ACT), MFPO_ESHAPE, a, "obs has",
	             "act: obs_len of 2 rows with rows 1 (wrong obs_dim)");
	check_status(mfpo_agent_act(a, obs, 2 * OBS, 2, 0, 0, act, 2 * ACT - 1), MFPO_ESHAPE, a, "act has room for",
	             "act: act buffer too small");
	check_status(mfpo_policy_act(p, obs, 2 * OBS, 2, 0, 0, act, ACT), MFPO_ESHAPE, p, "act has room for",
	             "policy act: act buffer too small");
	check_status(mfpo_agent_act(a, obs, SIZE_MAX, SIZE_MAX / 2, 0, 0, act, SIZE_MAX), MFPO_ESHAPE, a, NULL,
	             "act: rows x obs_dim overflows");
	{
		float bad[2 * OBS] = {0, 1, 2, 3, NAN, 5};
		check_status(mfpo_agent_act(a, bad, 2 * OBS, 2, MFPO_ACT_SAMPLE, 0, act, 2 * ACT), MFPO_ENONFINITE, a,
		             "element 4", "act: NaN observation");
		bad[4] = -INFINITY;
		check_status(mfpo_policy_act(p, bad, 2 * OBS, 2, MFPO_ACT_BEST_OF_N, 0, act, 2 * ACT), MFPO_ENONFINITE,
		             p, NULL, "policy act: infinite observation");
		bad[4] = NAN;
		check_status(mfpo_agent_act(a, bad, 2 * OBS, 2, MFPO_ACT_EXPLORE, 0, act, 2 * ACT), MFPO_ENONFINITE, a,
		             NULL, "act explore: NaN observation");
	}
	check(untouched(act, 2 * ACT), "act untouched by the act errors", "written");

	/* ---- store ----------------------------------------------------------- */
	{
		float o[2 * OBS] = {0, 1, 2, 3, 4, 5}, ac[2 * ACT] = {0, 0.5f, -0.5f, 1}, r[2] = {1, 2};
		float nx[2 * OBS] = {1, 2, 3, 4, 5, 6};
		uint8_t t[2] = {0, 1};
		int64_t stored = -1;
		check_status(mfpo_agent_store(a, 0, o, 0, ac, 0, r, nx, 0, t), MFPO_EINVAL, a, "rows", "store: rows 0");
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, NULL, nx, 2 * OBS, t), MFPO_EINVAL, a,
		             "NULL", "store: reward NULL");
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, NULL), MFPO_EINVAL, a,
		             "NULL", "store: terminated NULL");
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS - 1, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ESHAPE, a,
		             "obs has 5 floats", "store: obs_len wrong");
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT + 1, r, nx, 2 * OBS, t), MFPO_ESHAPE, a,
		             "act has 5 floats", "store: act_len wrong");
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, OBS, t), MFPO_ESHAPE, a,
		             "next_obs has 3 floats", "store: next_obs_len wrong");
		o[4] = NAN;
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ENONFINITE, a,
		             "obs row 1 element 1", "store: NaN observation");
		o[4] = 4;
		r[1] = INFINITY;
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ENONFINITE, a,
		             "reward", "store: infinite reward");
		r[1] = 2;
		ac[3] = INFINITY;
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ENONFINITE, a,
		             "act row 1 element 1", "store: infinite action (not clipped into the box)");
		ac[3] = NAN;
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ENONFINITE, a,
		             "act", "store: NaN action");
		ac[3] = 1;
		nx[0] = NAN;
		check_status(mfpo_agent_store(a, 2, o, 2 * OBS, ac, 2 * ACT, r, nx, 2 * OBS, t), MFPO_ENONFINITE, a,
		             "next_obs row 0 element 0", "store: NaN next observation");
		mfpo_agent_counters(a, NULL, &stored);
		check(stored == 0, "nothing stored by the failed stores", "%lld stored", (long long)stored);
	}

	/* ---- update ---------------------------------------------------------- */
	{
		mfpo_stats st = MFPO_STATS_INIT, zero;
		memset(&zero, 0, sizeof zero);
		st.updates = 77;
		check_status(mfpo_agent_update(a, 0, &st), MFPO_EINVAL, a, "steps", "update: steps 0");
		check_status(mfpo_agent_update(a, 1, &zero), MFPO_EINVAL, a, "size", "update: stats->size 0");
		check_status(mfpo_agent_update(a, 1, &st), MFPO_ENODATA, a, NULL, "update: before a batch");
		check(st.updates == 77, "stats untouched by the update errors", "written");
	}
	{
		/* Learning rates so large that the second update's losses overflow. */
		mfpo_agent *wild = NULL;
		mfpo_stats st = MFPO_STATS_INIT;
		int64_t u = -1;
		int rc = mfpo_agent_create(&wild,
		                           "{\"preset\":\"small\",\"hidden\":[8],\"time_features\":2,\"time_width\":4,"
		                           "\"batch_size\":4,\"buffer_size\":100,\"atoms\":5,\"shards\":1,"
		                           "\"actor_lr\":1e30,\"critic_lr\":1e30,\"adn_lr\":1e30}",
		                           OBS, ACT, NULL, NULL);
		check(rc == MFPO_OK, "create with huge learning rates", "%s", mfpo_errmsg(NULL));
		store_rows(wild, 20);
		st.updates = 77;
		rc = mfpo_agent_update(wild, 10, &st);
		mfpo_agent_counters(wild, &u, NULL);
		check_status(rc, MFPO_EUPDATE, wild, "abandoned", "update: non-finite loss");
		check(st.updates == 77 && u >= 0 && u < 10, "EUPDATE: stats untouched, earlier updates kept",
		      "stats.updates %lld, updates %lld", (long long)st.updates, (long long)u);
		mfpo_agent_free(wild);
	}

	/* ---- buffers filled by the library ----------------------------------- */
	{
		char small[8];
		size_t needed = 0;
		memset(small, 'x', sizeof small);
		check_status(mfpo_agent_config(a, NULL, 0, NULL), MFPO_EINVAL, a, "NULL", "config: buf and needed NULL");
		check_status(mfpo_agent_config(a, NULL, 10, &needed), MFPO_EINVAL, a, "NULL", "config: buf NULL, cap 10");
		check_status(mfpo_agent_config(a, small, sizeof small, &needed), MFPO_ESIZE, a, "needed",
		             "config: buffer too small");
		check(needed > sizeof small && small[0] == 'x' && small[7] == 'x', "ESIZE sets needed, leaves buf",
		      "needed %zu", needed);
		check_status(mfpo_policy_config(p, small, sizeof small, NULL), MFPO_ESIZE, p, NULL,
		             "policy config: buffer too small, needed NULL");
		check_status(mfpo_agent_policy(a, NULL), MFPO_EINVAL, a, "out", "policy: out NULL");
	}

	/* ---- messages --------------------------------------------------------- */
	{
		pthread_t th;
		struct other o = {a, NULL};
		mfpo_agent_act(a, obs, OBS, 0, 0, 0, act, ACT); /* fails on this thread */
		pthread_create(&th, NULL, read_other, &o);
		pthread_join(th, NULL);
		check(o.msg != NULL && o.msg[0] == '\0' && mfpo_errmsg(a)[0] != '\0',
		      "messages are thread-local", "the other thread read \"%s\"", o.msg ? o.msg : "(null)");
		check(mfpo_errmsg(p)[0] == '\0', "a message is for its handle only", "errmsg(p) = \"%s\"",
		      mfpo_errmsg(p));
	}
	{
		int distinct = 1;
		for (int i = 0; i <= MFPO_EVERSION; i++)
			for (int j = 0; j < i; j++)
				distinct &= strcmp(mfpo_errstr(i), mfpo_errstr(j)) != 0;
		check(distinct && strncmp(mfpo_errstr(MFPO_ESHAPE), "MFPO_ESHAPE", 11) == 0,
		      "errstr names every code", "%s", mfpo_errstr(MFPO_ESHAPE));
		check(strcmp(mfpo_errstr(-1), "unknown mfpo status") == 0 &&
		          strcmp(mfpo_errstr(MFPO_ERUNTIME + 1), "unknown mfpo status") == 0,
		      "errstr of an unknown code", "%s", mfpo_errstr(-1));
	}
	/* Codes are fixed numbers (never renumbered). */
	check(MFPO_OK == 0 && MFPO_EINVAL == 1 && MFPO_ECONFIG == 2 && MFPO_ESHAPE == 3 && MFPO_ENONFINITE == 4 &&
	          MFPO_ENODATA == 5 && MFPO_EUPDATE == 6 && MFPO_EHANDLE == 7 && MFPO_EIO == 8 &&
	          MFPO_EFORMAT == 9 && MFPO_EPANIC == 10 && MFPO_ESIZE == 11 && MFPO_EVERSION == 12 && MFPO_ERUNTIME == 13,
	      "status numbers are the published ones", "renumbered");

	/* A policy outlives the agent it came from. */
	check_status(mfpo_agent_free(a), MFPO_OK, a, NULL, "free the agent");
	check_status(mfpo_policy_act(p, obs, OBS, 1, MFPO_ACT_BEST_OF_N, 1, act, ACT), MFPO_OK, p, NULL,
	             "the policy acts after its agent is freed");
	check_status(mfpo_policy_free(p), MFPO_OK, p, NULL, "free the policy");
	check(mfpo_debug_live_handles() == 0, "no live handles at the end", "%zu", mfpo_debug_live_handles());
	return finish();
}
