/* Parity of C and Go: tests/c/parity (Go) saves a policy checkpoint and the
 * actions Go's inference path gives for fixed observations, modes and
 * seeds; through libmfpo.so the same file must give the same float32 bits.
 * The fixture's folder is $MFPO_PARITY_DIR (make test-c writes it to
 * build/tests/c/parity). */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>

enum { OBS = 3, ACT = 2, ROWS = 4 };

int main(void) {
	const char *dir = getenv("MFPO_PARITY_DIR");
	char path[512], line[1024];
	mfpo_policy *p = NULL;
	float obs[ROWS * OBS];
	int cases = 0, mismatches = 0;
	if (!dir)
		dir = "build/tests/c/parity";
	for (int i = 0; i < ROWS * OBS; i++)
		obs[i] = 0.25f * (float)(i / OBS) - 0.5f * (float)(i % OBS) + 0.1f;

	snprintf(path, sizeof path, "%s/policy.mfpo", dir);
	if (!check_status(mfpo_policy_load(&p, path), MFPO_OK, NULL, NULL, "load the checkpoint Go saved"))
		return finish();
	snprintf(path, sizeof path, "%s/expected.txt", dir);
	FILE *f = fopen(path, "r");
	if (!check(f != NULL, "open the expected actions", "%s", path))
		return finish();
	while (fgets(line, sizeof line, f)) {
		int mode, rows, n = 0, used = 0;
		uint64_t seed;
		float got[ROWS * ACT];
		if (line[0] == '#' || sscanf(line, "%d %" SCNu64 " %d%n", &mode, &seed, &rows, &used) != 3 || rows != ROWS)
			continue;
		int rc = mfpo_policy_act(p, obs, ROWS * OBS, ROWS, mode, seed, got, ROWS * ACT);
		cases++;
		for (char *s = line + used; rc == MFPO_OK && n < ROWS * ACT; n++) {
			uint32_t want = (uint32_t)strtoul(s, &s, 16), bits;
			memcpy(&bits, &got[n], sizeof bits);
			if (bits != want) {
				printf("     mode %d seed %" PRIu64 " element %d: C %08" PRIx32 " (%g), Go %08" PRIx32 "\n", mode,
				       seed, n, bits, got[n], want);
				mismatches++;
				break;
			}
		}
		if (rc != MFPO_OK)
			mismatches++;
	}
	fclose(f);
	check(cases == 9, "9 cases (3 modes x 3 seeds)", "%d", cases);
	check(mismatches == 0, "C's actions equal Go's bit for bit, in the checkpoint's units", "%d of %d differ",
	      mismatches, cases);
	mfpo_policy_free(p);
	check(mfpo_debug_live_handles() == 0, "no live handles", "%zu", mfpo_debug_live_handles());
	return finish();
}
