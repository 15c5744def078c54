/* Happy paths of libmfpo.so through mfpo.h: create an agent, act in every
 * mode, store, update, read the config, make a policy, free everything.
 * Prints one line per check and "N passed, M failed". */
#include "check.h"

#include <math.h>
#include <stdlib.h>

enum { OBS = 3, ACT = 2, ROWS = 5 };

static const float LOW[ACT] = {-2.0f, 10.0f}, HIGH[ACT] = {2.0f, 30.0f};

static int in_box(const float *a, size_t rows) {
	for (size_t i = 0; i < rows * ACT; i++)
		if (!(a[i] >= LOW[i % ACT] && a[i] <= HIGH[i % ACT]))
			return 0;
	return 1;
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* A deterministic pseudo-random stream for the test data. */
static float uniform(unsigned *s) {
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 65535.0f * 2.0f - 1.0f;
}

int main(void) {
	mfpo_agent *a = NULL, *b = NULL;
	mfpo_policy *p = NULL;
	float obs[ROWS * OBS], act[ROWS * ACT], act2[ROWS * ACT], act3[ROWS * ACT];
	unsigned s = 1;
	size_t o = 0, d = 0, needed = 0;
	int64_t updates = -1, stored = -1;

	for (int i = 0; i < ROWS * OBS; i++)
		obs[i] = uniform(&s);

	check_status(mfpo_agent_create(&a, TINY_CONFIG, OBS, ACT, LOW, HIGH), MFPO_OK, NULL, NULL, "create");
	check(a != NULL, "create gives a handle", "NULL");
	check(mfpo_debug_live_handles() == 1, "one live handle", "%zu", mfpo_debug_live_handles());
	check_status(mfpo_agent_dims(a, &o, &d), MFPO_OK, a, NULL, "dims");
	check(o == OBS && d == ACT, "dims are obs 3, act 2", "%zu, %zu", o, d);

	/* Acting: every mode gives actions in the box. */
	const int modes[] = {MFPO_ACT_SAMPLE, MFPO_ACT_DETERMINISTIC, MFPO_ACT_BEST_OF_N, MFPO_ACT_EXPLORE};
	const char *names[] = {"act sample in box", "act deterministic in box", "act best-of-N in box",
	                       "act explore in box"};
	for (int m = 0; m < 4; m++) {
		int rc = mfpo_agent_act(a, obs, ROWS * OBS, ROWS, modes[m], 7, act, ROWS * ACT);
		check(rc == MFPO_OK && in_box(act, ROWS), names[m], "status %d (%s)", rc, mfpo_errmsg(a));
	}
	/* Seeds: same seed same actions, another seed others; deterministic ignores it. */
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_SAMPLE, 11, act, ROWS * ACT);
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_SAMPLE, 11, act2, ROWS * ACT);
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_SAMPLE, 12, act3, ROWS * ACT);
	check(same(act, act2, ROWS * ACT) && !same(act, act3, ROWS * ACT), "seeded sampling is reproducible",
	      "seed 11 twice differ or seeds 11, 12 agree");
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_DETERMINISTIC, 1, act, ROWS * ACT);
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_DETERMINISTIC, 2, act2, ROWS * ACT);
	check(same(act, act2, ROWS * ACT), "deterministic ignores the seed", "differ");
	/* A larger act_cap than needed is fine; the rest is untouched. */
	{
		float big[ROWS * ACT + 3];
		for (int i = 0; i < ROWS * ACT + 3; i++)
			big[i] = 99.0f;
		int rc = mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_DETERMINISTIC, 0, big, ROWS * ACT + 3);
		check(rc == MFPO_OK && same(big, act, ROWS * ACT) && big[ROWS * ACT] == 99.0f &&
		          big[ROWS * ACT + 2] == 99.0f,
		      "act_cap larger than needed", "status %d", rc);
	}

	/* Storing and updating. */
	check_status(mfpo_agent_update(a, 1, NULL), MFPO_ENODATA, a, "not enough", "update before a batch");
	for (int step = 0; step < 40; step++) {
		float o1[OBS], a1[ACT], r, n1[OBS];
		uint8_t t = step % 10 == 9;
		for (int i = 0; i < OBS; i++)
			o1[i] = uniform(&s), n1[i] = uniform(&s);
		mfpo_agent_act(a, o1, OBS, 1, MFPO_ACT_EXPLORE, 0, a1, ACT);
		r = -(a1[0] * a1[0]);
		if (mfpo_agent_store(a, 1, o1, OBS, a1, ACT, &r, n1, OBS, &t) != MFPO_OK) {
			check(0, "store one transition", "%s", mfpo_errmsg(a));
			break;
		}
	}
	{
		/* A batch of 3 rows in one call, actions beyond the box (clipped). */
		float ob[3 * OBS], ab[3 * ACT] = {-5, 0, 5, 40, 0, 20}, rb[3] = {1, 2, 3}, nb[3 * OBS];
		uint8_t tb[3] = {0, 1, 0};
		for (int i = 0; i < 3 * OBS; i++)
			ob[i] = uniform(&s), nb[i] = uniform(&s);
		check_status(mfpo_agent_store(a, 3, ob, 3 * OBS, ab, 3 * ACT, rb, nb, 3 * OBS, tb), MFPO_OK, a, NULL,
		             "store a batch of 3");
	}
	check_status(mfpo_agent_counters(a, &updates, &stored), MFPO_OK, a, NULL, "counters");
	check(updates == 0 && stored == 43, "43 stored, 0 updates", "%lld stored, %lld updates", (long long)stored,
	      (long long)updates);

	mfpo_stats st = MFPO_STATS_INIT;
	check_status(mfpo_agent_update(a, 3, &st), MFPO_OK, a, NULL, "update 3 steps");
	check(st.size == sizeof st && st.updates == 3, "stats: size kept, updates 3", "size %zu, updates %lld",
	      st.size, (long long)st.updates);
	check(isfinite(st.critic_loss[0]) && isfinite(st.critic_loss[1]) && isfinite(st.actor_loss) &&
	          isfinite(st.adn_loss) && st.alpha > 0 && st.ess_policy >= 1 && st.ess_posterior >= 1,
	      "stats are finite and plausible", "critic %g %g actor %g adn %g alpha %g ess %g %g", st.critic_loss[0],
	      st.critic_loss[1], st.actor_loss, st.adn_loss, st.alpha, st.ess_policy, st.ess_posterior);
	printf("     stats: critic %.4g %.4g actor %.4g adn %.4g alpha_loss %.4g alpha %.4g entropy %.4g ess %.3g %.3g "
	       "mean_q %.4g\n",
	       st.critic_loss[0], st.critic_loss[1], st.actor_loss, st.adn_loss, st.alpha_loss, st.alpha, st.entropy,
	       st.ess_policy, st.ess_posterior, st.mean_q);
	{
		/* An older, shorter stats struct: only the fields that fit are written. */
		unsigned char raw[sizeof(mfpo_stats) + 8];
		mfpo_stats *old = (mfpo_stats *)raw;
		memset(raw, 0xAB, sizeof raw);
		old->size = 24; /* size, updates and critic_loss[0] */
		int rc = mfpo_agent_update(a, 1, old);
		int untouched = 1;
		for (size_t i = 24; i < sizeof raw; i++)
			untouched &= raw[i] == 0xAB;
		check(rc == MFPO_OK && old->size == 24 && old->updates == 4 && isfinite(old->critic_loss[0]) && untouched,
		      "a shorter stats struct gets only its fields", "status %d, updates %lld", rc,
		      (long long)old->updates);
	}
	check_status(mfpo_agent_update(a, 2, NULL), MFPO_OK, a, NULL, "update without stats");
	mfpo_agent_counters(a, &updates, NULL);
	check(updates == 6, "6 updates in all", "%lld", (long long)updates);

	/* The config: size query, then the JSON; it recreates an agent. */
	check_status(mfpo_agent_config(a, NULL, 0, &needed), MFPO_OK, a, NULL, "config size query");
	char *js = malloc(needed);
	size_t wrote = 0;
	check_status(mfpo_agent_config(a, js, needed, &wrote), MFPO_OK, a, NULL, "config");
	check(wrote == needed && strlen(js) + 1 == needed && strstr(js, "\"hidden\":[16,16]") &&
	          strstr(js, "\"eval_candidates\":4") && strstr(js, "\"time_sampler\""),
	      "config is the effective JSON", "%s", js);
	printf("     config: %s\n", js);
	check_status(mfpo_agent_create(&b, js, OBS, ACT, LOW, HIGH), MFPO_OK, NULL, NULL, "create from the config");
	{
		size_t n2 = 0;
		mfpo_agent_config(b, NULL, 0, &n2);
		char *js2 = malloc(n2);
		mfpo_agent_config(b, js2, n2, NULL);
		check(strcmp(js, js2) == 0, "the config round-trips", "%s vs %s", js, js2);
		free(js2);
	}
	free(js);

	/* Same config and seed: the same fresh networks, the same actions. */
	{
		mfpo_agent *c = NULL;
		mfpo_agent_create(&c, TINY_CONFIG, OBS, ACT, LOW, HIGH);
		mfpo_agent_act(b, obs, ROWS * OBS, ROWS, MFPO_ACT_BEST_OF_N, 5, act, ROWS * ACT);
		mfpo_agent_act(c, obs, ROWS * OBS, ROWS, MFPO_ACT_BEST_OF_N, 5, act2, ROWS * ACT);
		check(same(act, act2, ROWS * ACT), "same config and seed, same actions", "differ");
		check_status(mfpo_agent_free(c), MFPO_OK, c, NULL, "free the third agent");
	}

	/* A policy copy acts as the agent did, and stays when the agent trains. */
	check_status(mfpo_agent_policy(a, &p), MFPO_OK, a, NULL, "policy from the agent");
	check_status(mfpo_policy_dims(p, &o, &d), MFPO_OK, p, NULL, "policy dims");
	check(o == OBS && d == ACT, "policy dims are obs 3, act 2", "%zu, %zu", o, d);
	for (int m = 0; m < 3; m++) {
		mfpo_agent_act(a, obs, ROWS * OBS, ROWS, modes[m], 21, act, ROWS * ACT);
		int rc = mfpo_policy_act(p, obs, ROWS * OBS, ROWS, modes[m], 21, act2, ROWS * ACT);
		check(rc == MFPO_OK && same(act, act2, ROWS * ACT), "policy acts as the agent", "mode %d: status %d",
		      modes[m], rc);
	}
	mfpo_agent_update(a, 2, NULL);
	mfpo_agent_act(a, obs, ROWS * OBS, ROWS, MFPO_ACT_DETERMINISTIC, 0, act, ROWS * ACT);
	mfpo_policy_act(p, obs, ROWS * OBS, ROWS, MFPO_ACT_DETERMINISTIC, 0, act2, ROWS * ACT);
	check(!same(act, act2, ROWS * ACT), "the policy is a copy: the agent trained on, the policy did not",
	      "same actions after 2 updates");
	{
		size_t n = 0;
		mfpo_policy_config(p, NULL, 0, &n);
		char *pj = malloc(n);
		check_status(mfpo_policy_config(p, pj, n, NULL), MFPO_OK, p, NULL, "policy config");
		check(strstr(pj, "\"hidden\":[16,16]") != NULL, "policy config is the agent's", "%s", pj);
		free(pj);
	}

	check(mfpo_debug_live_handles() == 3, "three live handles", "%zu", mfpo_debug_live_handles());
	check_status(mfpo_policy_free(p), MFPO_OK, p, NULL, "free the policy");
	check_status(mfpo_agent_free(a), MFPO_OK, a, NULL, "free the agent");
	check_status(mfpo_agent_free(b), MFPO_OK, b, NULL, "free the second agent");
	check_status(mfpo_agent_free(NULL), MFPO_OK, NULL, NULL, "free NULL agent");
	check_status(mfpo_policy_free(NULL), MFPO_OK, NULL, NULL, "free NULL policy");
	check(mfpo_debug_live_handles() == 0, "no live handles after the frees", "%zu", mfpo_debug_live_handles());
	return finish();
}
