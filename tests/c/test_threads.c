/* Concurrency: 8 threads x 100 000 acts on one policy handle (a tiny
 * network, so that it takes seconds). Every action must equal, bit for bit,
 * the one computed alone for the same observation, mode and seed. Then
 * threads act while another thread frees the handle: every call returns
 * MFPO_OK or MFPO_EHANDLE, none crashes. */
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#ifndef NTHREADS
#define NTHREADS 8
#endif
#ifndef NCALLS
#define NCALLS 100000
#endif
enum { OBS = 4, ACT = 2, THREADS = NTHREADS, CALLS = NCALLS, CASES = 16, MAXROWS = 3 };

static mfpo_policy *policy;

struct act_case {
	size_t rows;
	int mode;
	uint64_t seed;
	float obs[MAXROWS * OBS];
	float want[MAXROWS * ACT];
};
static struct act_case cases[CASES];

struct worker {
	int id;
	long mismatches, errors;
};

static void *work(void *arg) {
	struct worker *w = arg;
	float out[MAXROWS * ACT];
	for (int k = 0; k < CALLS; k++) {
		const struct act_case *c = &cases[(w->id * 5 + k) % CASES];
		int rc = mfpo_policy_act(policy, c->obs, c->rows * OBS, c->rows, c->mode, c->seed, out, MAXROWS * ACT);
		if (rc != MFPO_OK) {
			if (w->errors++ == 0)
				printf("     thread %d call %d: %s: %s\n", w->id, k, mfpo_errstr(rc), mfpo_errmsg(policy));
		} else if (memcmp(out, c->want, c->rows * ACT * sizeof(float)) != 0) {
			w->mismatches++;
		}
	}
	return NULL;
}

/* Acting while the handle is freed under it. */
static mfpo_policy *doomed;
struct racer {
	long ok, handle, other;
};
static void *race(void *arg) {
	struct racer *r = arg;
	float obs[OBS] = {0.1f, 0.2f, 0.3f, 0.4f}, out[ACT];
	for (int k = 0; k < 20000; k++) {
		int rc = mfpo_policy_act(doomed, obs, OBS, 1, MFPO_ACT_SAMPLE, (uint64_t)k, out, ACT);
		if (rc == MFPO_OK)
			r->ok++;
		else if (rc == MFPO_EHANDLE)
			r->handle++;
		else
			r->other++;
	}
	return NULL;
}

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
	mfpo_agent *a = NULL;
	const int modes[3] = {MFPO_ACT_SAMPLE, MFPO_ACT_DETERMINISTIC, MFPO_ACT_BEST_OF_N};
	unsigned s = 12345;
	if (!check(mfpo_agent_create(&a, TINY_CONFIG, OBS, ACT, NULL, NULL) == MFPO_OK, "create", "%s",
	           mfpo_errmsg(NULL)))
		return finish();
	mfpo_agent_policy(a, &policy);
	mfpo_agent_policy(a, &doomed);
	mfpo_agent_free(a);

	for (int i = 0; i < CASES; i++) {
		struct act_case *c = &cases[i];
		c->rows = 1 + (size_t)(i % MAXROWS);
		c->mode = modes[i % 3];
		c->seed = 1000 + (uint64_t)i;
		for (size_t j = 0; j < c->rows * OBS; j++) {
			s = s * 1103515245u + 12345u;
			c->obs[j] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
		}
		mfpo_policy_act(policy, c->obs, c->rows * OBS, c->rows, c->mode, c->seed, c->want, MAXROWS * ACT);
	}

	pthread_t th[THREADS];
	struct worker w[THREADS];
	double t0 = now();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){i, 0, 0};
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	long mismatches = 0, errors = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		mismatches += w[i].mismatches;
		errors += w[i].errors;
	}
	double dt = now() - t0;
	printf("     %d threads x %d acts on one policy: %.2f s, %.2f us per act per thread\n", THREADS, CALLS, dt,
	       dt / CALLS * 1e6);
	check(errors == 0, "8 x 100000 concurrent acts: no errors", "%ld errors", errors);
	check(mismatches == 0, "8 x 100000 concurrent acts: every action equals the one computed alone",
	      "%ld mismatches", mismatches);

	pthread_t rt[4];
	struct racer r[4] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
	for (int i = 0; i < 4; i++)
		pthread_create(&rt[i], NULL, race, &r[i]);
	int freed = mfpo_policy_free(doomed);
	long ok = 0, handle = 0, other = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(rt[i], NULL);
		ok += r[i].ok, handle += r[i].handle, other += r[i].other;
	}
	printf("     acting while freed: %ld ok, %ld MFPO_EHANDLE\n", ok, handle);
	check(freed == MFPO_OK && other == 0 && ok + handle == 4 * 20000,
	      "acting while another thread frees: only MFPO_OK or MFPO_EHANDLE", "free %d, %ld other statuses", freed,
	      other);

	check(mfpo_policy_free(policy) == MFPO_OK, "free", "%s", mfpo_errmsg(policy));
	check(mfpo_debug_live_handles() == 0, "no live handles at the end", "%zu", mfpo_debug_live_handles());
	return finish();
}
