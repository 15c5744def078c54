/* Checkpoints through mfpo.h: save and load, to files and caller buffers,
 * full agents (with and without the replay buffer) and policies; a loaded
 * agent continues bit for bit; misuse and corrupted or truncated bytes get
 * their documented status, never a crash. */
#define _GNU_SOURCE /* mkdtemp */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

enum { OBS = 3, ACT = 2, ROWS = 4 };

static const float LOW[ACT] = {-2.0f, 10.0f}, HIGH[ACT] = {2.0f, 30.0f};
static float obs[ROWS * OBS];

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* acts_alike: the agent or policy pairs give bit-identical actions in every
 * seeded mode. */
typedef int (*act_fn)(const void *h, int mode, uint64_t seed, float *out);
static int agent_act(const void *h, int mode, uint64_t seed, float *out) {
	return mfpo_agent_act((mfpo_agent *)h, obs, ROWS * OBS, ROWS, mode, seed, out, ROWS * ACT);
}
static int policy_act(const void *h, int mode, uint64_t seed, float *out) {
	return mfpo_policy_act((const mfpo_policy *)h, obs, ROWS * OBS, ROWS, mode, seed, out, ROWS * ACT);
}
static int acts_alike(act_fn f, const void *x, act_fn g, const void *y) {
	const int modes[3] = {MFPO_ACT_SAMPLE, MFPO_ACT_DETERMINISTIC, MFPO_ACT_BEST_OF_N};
	for (int m = 0; m < 3; m++) {
		float a[ROWS * ACT], b[ROWS * ACT];
		if (f(x, modes[m], 77, a) != MFPO_OK || g(y, modes[m], 77, b) != MFPO_OK || !same(a, b, ROWS * ACT))
			return 0;
		for (int i = 0; i < ROWS * ACT; i++)
			if (!(a[i] >= LOW[i % ACT] && a[i] <= HIGH[i % ACT]))
				return 0;
	}
	return 1;
}

static void train(mfpo_agent *a, int transitions, int updates, unsigned *s) {
	for (int i = 0; i < transitions; i++) {
		float o[OBS], act[ACT], n[OBS], r;
		uint8_t t = i % 11 == 10;
		for (int j = 0; j < OBS; j++) {
			*s = *s * 1103515245u + 12345u;
			o[j] = (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
			n[j] = 0.9f * o[j];
		}
		mfpo_agent_act(a, o, OBS, 1, MFPO_ACT_EXPLORE, 0, act, ACT);
		r = -o[0] * o[0] + 0.01f * act[0];
		mfpo_agent_store(a, 1, o, OBS, act, ACT, &r, n, OBS, &t);
	}
	if (updates > 0)
		mfpo_agent_update(a, (uint32_t)updates, NULL);
}

static unsigned char *save_buffer(mfpo_agent *a, unsigned flags, size_t *len) {
	size_t n = 0;
	if (mfpo_agent_save_buffer(a, flags, NULL, 0, &n) != MFPO_OK)
		return NULL;
	unsigned char *b = malloc(n);
	if (mfpo_agent_save_buffer(a, flags, b, n, len) != MFPO_OK || *len != n) {
		free(b);
		return NULL;
	}
	return b;
}

static int write_file(const char *path, const void *data, size_t n) {
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	int ok = fwrite(data, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

int main(void) {
	unsigned s = 7;
	mfpo_agent *a = NULL, *b = NULL, *c = NULL;
	mfpo_policy *p = NULL, *q = NULL;
	char dir[] = "/tmp/mfpo-ckpt-XXXXXX", full[64], pol[64], bad[64], missing[96];
	for (int i = 0; i < ROWS * OBS; i++)
		obs[i] = 0.1f * (float)i - 0.5f;
	if (!check(mkdtemp(dir) != NULL, "temporary folder", "mkdtemp failed"))
		return finish();
	snprintf(full, sizeof full, "%s/agent.mfpo", dir);
	snprintf(pol, sizeof pol, "%s/policy.mfpo", dir);
	snprintf(bad, sizeof bad, "%s/bad.mfpo", dir);
	snprintf(missing, sizeof missing, "%s/no/such/dir/agent.mfpo", dir);

	check_status(mfpo_agent_create(&a, TINY_CONFIG, OBS, ACT, LOW, HIGH), MFPO_OK, NULL, NULL, "create");
	train(a, 40, 3, &s);

	/* ---- to and from a caller's buffer -------------------------------- */
	size_t needed = 0, len = 0;
	check_status(mfpo_agent_save_buffer(a, MFPO_SAVE_FULL, NULL, 0, &needed), MFPO_OK, a, NULL,
	             "save_buffer: size query");
	{
		unsigned char small[16];
		size_t n2 = 0;
		memset(small, 0xEE, sizeof small);
		check_status(mfpo_agent_save_buffer(a, MFPO_SAVE_FULL, small, sizeof small, &n2), MFPO_ESIZE, a, "needed",
		             "save_buffer: buffer too small");
		check(n2 == needed && small[0] == 0xEE && small[15] == 0xEE, "ESIZE: needed set, buffer untouched",
		      "needed %zu vs %zu", n2, needed);
	}
	unsigned char *buf = malloc(needed);
	check_status(mfpo_agent_save_buffer(a, MFPO_SAVE_FULL, buf, needed, &len), MFPO_OK, a, NULL, "save_buffer");
	check(len == needed && memcmp(buf + 4, "MFPO", 4) == 0, "the bytes are a checkpoint (identifier MFPO)",
	      "len %zu, needed %zu", len, needed);
	printf("     full checkpoint without replay: %zu bytes\n", len);
	check_status(mfpo_agent_load_buffer(&b, buf, len), MFPO_OK, NULL, NULL, "load_buffer");
	{
		int64_t ua = -1, sa = -1, ub = -2, sb = -2;
		size_t o = 0, d = 0, na = 0, nb = 0;
		mfpo_agent_counters(a, &ua, &sa);
		mfpo_agent_counters(b, &ub, &sb);
		mfpo_agent_dims(b, &o, &d);
		check(ua == 3 && ua == ub && sa == sb && o == OBS && d == ACT, "loaded: counters and dims",
		      "updates %lld/%lld stored %lld/%lld", (long long)ua, (long long)ub, (long long)sa, (long long)sb);
		mfpo_agent_config(a, NULL, 0, &na);
		mfpo_agent_config(b, NULL, 0, &nb);
		char *ja = malloc(na), *jb = malloc(nb);
		mfpo_agent_config(a, ja, na, NULL);
		mfpo_agent_config(b, jb, nb, NULL);
		check(na == nb && strcmp(ja, jb) == 0, "loaded: the same config", "%s vs %s", ja, jb);
		free(ja);
		free(jb);
	}
	check(acts_alike(agent_act, a, agent_act, b), "loaded: the same actions in every mode, in the saved bounds",
	      "differ");
	check_status(mfpo_agent_update(b, 1, NULL), MFPO_ENODATA, b, NULL,
	             "loaded without replay: the buffer is empty");
	train(b, 10, 0, &s);
	check_status(mfpo_agent_update(b, 1, NULL), MFPO_OK, b, NULL, "loaded without replay: updates after new transitions");
	mfpo_agent_free(b);
	b = NULL;

	/* ---- a full checkpoint with the replay buffer resumes bit for bit ---- */
	size_t rlen = 0;
	unsigned char *rbuf = save_buffer(a, MFPO_SAVE_REPLAY, &rlen);
	check(rbuf != NULL && rlen > len, "save_buffer with the replay buffer", "%zu bytes", rlen);
	check_status(mfpo_agent_load_buffer(&c, rbuf, rlen), MFPO_OK, NULL, NULL, "load with replay");
	{
		mfpo_stats sa = MFPO_STATS_INIT, sc = MFPO_STATS_INIT;
		float xa[ACT], xc[ACT];
		int ra = mfpo_agent_update(a, 3, &sa), rc = mfpo_agent_update(c, 3, &sc);
		check(ra == MFPO_OK && rc == MFPO_OK && memcmp(&sa, &sc, sizeof sa) == 0,
		      "3 more updates: bit-identical statistics", "status %d %d; actor %g vs %g", ra, rc, sa.actor_loss,
		      sc.actor_loss);
		check(acts_alike(agent_act, a, agent_act, c), "3 more updates: the same actions", "differ");
		mfpo_agent_act(a, obs, OBS, 1, MFPO_ACT_EXPLORE, 0, xa, ACT);
		mfpo_agent_act(c, obs, OBS, 1, MFPO_ACT_EXPLORE, 0, xc, ACT);
		check(same(xa, xc, ACT), "the agent's own generator resumes too (explore)", "differ");
	}

	/* ---- files --------------------------------------------------------- */
	check_status(mfpo_agent_save(a, full, MFPO_SAVE_REPLAY), MFPO_OK, a, NULL, "save a full file");
	check_status(mfpo_agent_save(a, pol, MFPO_SAVE_POLICY), MFPO_OK, a, NULL, "save a policy file");
	check_status(mfpo_agent_load(&b, full), MFPO_OK, NULL, NULL, "load the full file");
	check(b && acts_alike(agent_act, a, agent_act, b), "the file's agent acts as the saved one", "differ");
	check_status(mfpo_policy_load(&p, full), MFPO_OK, NULL, NULL, "policy from the full file");
	check_status(mfpo_policy_load(&q, pol), MFPO_OK, NULL, NULL, "policy from the policy file");
	check(p && q && acts_alike(agent_act, a, policy_act, p) && acts_alike(policy_act, p, policy_act, q),
	      "both policies act as the agent", "differ");
	{
		size_t o = 0, d = 0;
		mfpo_policy_dims(q, &o, &d);
		check(o == OBS && d == ACT, "policy file: dims", "%zu %zu", o, d);
	}
	{
		size_t plen = 0;
		unsigned char *pbuf = save_buffer(a, MFPO_SAVE_POLICY, &plen);
		mfpo_policy *r = NULL;
		check(pbuf && plen < len, "policy checkpoint in a buffer, smaller than a full one", "%zu vs %zu", plen, len);
		check_status(mfpo_policy_load_buffer(&r, pbuf, plen), MFPO_OK, NULL, NULL, "policy from a buffer");
		check(r && acts_alike(policy_act, q, policy_act, r), "buffer and file policies agree", "differ");
		mfpo_agent *x = (mfpo_agent *)&passed;
		check_status(mfpo_agent_load_buffer(&x, pbuf, plen), MFPO_EFORMAT, NULL, "policy",
		             "agent from a policy checkpoint");
		check(x == (mfpo_agent *)&passed, "*out untouched on failure", "written");
		mfpo_policy_free(r);
		free(pbuf);
	}

	/* ---- misuse ---------------------------------------------------------- */
	mfpo_agent *x = NULL;
	mfpo_policy *y = NULL;
	check_status(mfpo_agent_save(a, full, 3), MFPO_EINVAL, a, "kind 3, want", "save: unknown flags");
	check_status(mfpo_agent_save_buffer(a, 99, NULL, 0, &needed), MFPO_EINVAL, a, "kind 99, want",
	             "save_buffer: unknown flags");
	check_status(mfpo_agent_save(a, NULL, 0), MFPO_EINVAL, a, "path", "save: path NULL");
	check_status(mfpo_agent_save(a, "", 0), MFPO_EINVAL, a, "path", "save: path empty");
	check_status(mfpo_agent_save(a, missing, 0), MFPO_EIO, a, "no such", "save: into a missing folder");
	check_status(mfpo_agent_save(NULL, full, 0), MFPO_EHANDLE, NULL, NULL, "save: NULL agent");
	check_status(mfpo_agent_load(NULL, full), MFPO_EINVAL, NULL, "out", "load: out NULL");
	check_status(mfpo_agent_load(&x, NULL), MFPO_EINVAL, NULL, "path", "load: path NULL");
	check_status(mfpo_agent_load(&x, missing), MFPO_EIO, NULL, "no such", "load: a missing file");
	check_status(mfpo_policy_load(&y, missing), MFPO_EIO, NULL, "no such", "policy load: a missing file");
	check_status(mfpo_agent_load(&x, dir), MFPO_EFORMAT, NULL, NULL, "load: a folder");
	check_status(mfpo_agent_load_buffer(&x, NULL, 10), MFPO_EINVAL, NULL, "buf", "load_buffer: buf NULL");
	check_status(mfpo_agent_load_buffer(&x, buf, 0), MFPO_EFORMAT, NULL, NULL, "load_buffer: 0 bytes");
	check_status(mfpo_policy_load_buffer(NULL, buf, len), MFPO_EINVAL, NULL, "out", "policy load_buffer: out NULL");
	{
		const char text[] = "this is not a checkpoint, just some text of a reasonable length........";
		write_file(bad, text, sizeof text);
		check_status(mfpo_agent_load(&x, bad), MFPO_EFORMAT, NULL, NULL, "load: a text file");
		check_status(mfpo_policy_load(&y, bad), MFPO_EFORMAT, NULL, NULL, "policy load: a text file");
	}
	{
		/* Truncated: every prefix is refused. */
		int all = 1;
		size_t step = len / 97 + 1;
		for (size_t n = 0; n < len; n += (n + 16 < len ? step : 1)) {
			int r1 = mfpo_agent_load_buffer(&x, buf, n), r2 = mfpo_policy_load_buffer(&y, buf, n);
			if (r1 != MFPO_EFORMAT || r2 != MFPO_EFORMAT) {
				all = check(0, "truncated checkpoints", "%zu of %zu bytes: %d, %d (%s)", n, len, r1, r2,
				            mfpo_errmsg(NULL));
				break;
			}
		}
		if (all)
			check(1, "every truncated prefix is MFPO_EFORMAT (agent and policy)", "");
		printf("     truncated: %s\n", mfpo_errmsg(NULL));
		write_file(bad, buf, len / 2);
		check_status(mfpo_agent_load(&x, bad), MFPO_EFORMAT, NULL, NULL, "load: a truncated file");
	}
	{
		/* Corrupted: a wrong identifier is refused; single-byte corruption
		 * anywhere is refused or loads (a changed weight is still a valid
		 * checkpoint), never anything else. */
		unsigned char *cb = malloc(len);
		int ok = 0, refused = 0, other = 0;
		memcpy(cb, buf, len);
		cb[4] = 'X';
		check_status(mfpo_agent_load_buffer(&x, cb, len), MFPO_EFORMAT, NULL, NULL, "load: a foreign identifier");
		for (size_t i = 0; i < len; i += len / 400 + 1) {
			static const unsigned char flips[3] = {0xFF, 0x80, 0x01};
			for (int k = 0; k < 3; k++) {
				memcpy(cb, buf, len);
				cb[i] ^= flips[k];
				mfpo_agent *z = NULL;
				mfpo_policy *w = NULL;
				int r1 = mfpo_agent_load_buffer(&z, cb, len), r2 = mfpo_policy_load_buffer(&w, cb, len);
				ok += (r1 == MFPO_OK) + (r2 == MFPO_OK);
				refused += (r1 == MFPO_EFORMAT) + (r2 == MFPO_EFORMAT);
				other += (r1 != MFPO_OK && r1 != MFPO_EFORMAT) + (r2 != MFPO_OK && r2 != MFPO_EFORMAT);
				if (other && other == (r1 != MFPO_OK && r1 != MFPO_EFORMAT) + (r2 != MFPO_OK && r2 != MFPO_EFORMAT))
					printf("     byte %zu ^ %#x: %d %d %s\n", i, flips[k], r1, r2, mfpo_errmsg(NULL));
				mfpo_agent_free(z);
				mfpo_policy_free(w);
			}
		}
		printf("     corrupted single bytes: %d loads, %d MFPO_EFORMAT\n", ok, refused);
		check(other == 0 && refused > 0, "corrupted bytes: MFPO_OK or MFPO_EFORMAT, nothing else", "%d other",
		      other);
		memcpy(cb, buf, len);
		cb[len / 3] ^= 0xFF;
		write_file(bad, cb, len);
		int r = mfpo_agent_load(&x, bad);
		check(r == MFPO_OK || r == MFPO_EFORMAT, "load: a corrupted file", "%d", r);
		if (r == MFPO_OK)
			mfpo_agent_free(x);
		x = NULL;
		free(cb);
	}
	check(x == NULL && y == NULL, "no handle made by the failed loads", "made");
	{
		int distinct = 1;
		for (int i = 0; i <= MFPO_EVERSION; i++)
			for (int j = 0; j < i; j++)
				distinct &= strcmp(mfpo_errstr(i), mfpo_errstr(j)) != 0;
		check(distinct && MFPO_EVERSION == 12 && strncmp(mfpo_errstr(MFPO_EVERSION), "MFPO_EVERSION", 13) == 0,
		      "MFPO_EVERSION is 12 and named", "%s", mfpo_errstr(MFPO_EVERSION));
	}

	free(buf);
	free(rbuf);
	unlink(full);
	unlink(pol);
	unlink(bad);
	rmdir(dir);
	mfpo_policy_free(p);
	mfpo_policy_free(q);
	mfpo_agent_free(a);
	mfpo_agent_free(b);
	mfpo_agent_free(c);
	check(mfpo_debug_live_handles() == 0, "no live handles at the end", "%zu", mfpo_debug_live_handles());
	return finish();
}
