/* Parity of C and Go: tests/c/parity (Go) saves a policy checkpoint, the
 * actions Go's inference path gives for fixed observations, modes and
 * seeds, and the kernels it ran: OpenBLAS's ("core") and mfpo's own
 * ("kernels", the build info's cpu_kernels). Through libmfpo.so the same
 * file must give the same float32 bits when the library runs the same
 * kernels, and actions within TOL of Go's when it runs other ones: under
 * valgrind, the CPU seems to lack AVX-512, so OpenBLAS picks e.g. its
 * Haswell kernels instead of SkylakeX and mfpo its avx2 kernels instead of
 * avx512 (docs/reproducibility.md). The fixture's folder
 * is $MFPO_PARITY_DIR (make test-c writes it to build/tests/c/parity). */
#include "check.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

enum { OBS = 3, ACT = 2, ROWS = 4 };

/* TOL bounds |C − Go| / (1 + |Go|) when the kernels differ. Other kernels
 * sum each float32 dot product in another order, with or without fused
 * multiply-adds: a length-k sum moves by at most about k·u·Σ|terms|, u =
 * 2⁻²⁴ ≈ 6e-8, so about 2e-6 for this network's k ≤ 32, compounded over its
 * few layers. Measured with OpenBLAS 0.3.21, the fixture made with its
 * Haswell, Zen, Sandybridge, Nehalem or Prescott core and the library on
 * SkylakeX, or the reverse under valgrind: at most 5.3e-7.
 * A fault this test exists to catch (units, component or row order,
 * the seed, the mode) moves an action by 1e-2 or more. Best-of-N picks an
 * argmax, which no tolerance covers: the fixture's candidates' values are
 * far apart, so both sides pick the same one. */
#define TOL 1e-5

/* float_bits: the bit pattern of a float32, for exact comparison. */
static uint32_t float_bits(float x) {
	uint32_t b;
	memcpy(&b, &x, sizeof b);
	return b;
}

int main(void) {
	const char *dir = getenv("MFPO_PARITY_DIR");
	char path[512], line[1024], go_core[256] = "", lib_core[256] = "";
	char go_kernels[64] = "", lib_kernels[64] = "";
	mfpo_policy *p = NULL;
	float obs[ROWS * OBS];
	int cases = 0, mismatches = 0;
	double worst = 0; /* the largest |C − Go| / (1 + |Go|) */
	if (!dir)
		dir = "build/tests/c/parity";
	for (int i = 0; i < ROWS * OBS; i++)
		obs[i] = 0.25f * (float)(i / OBS) - 0.5f * (float)(i % OBS) + 0.1f;

	check(json_get(mfpo_build_info(), "blas_core", lib_core, sizeof lib_core) == 1 && lib_core[0] != '\0',
	      "the library names its BLAS core", "%s", mfpo_build_info());
	check(json_get(mfpo_build_info(), "cpu_kernels", lib_kernels, sizeof lib_kernels) == 1 && lib_kernels[0] != '\0',
	      "the library names its vector kernels", "%s", mfpo_build_info());
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
		if (sscanf(line, "core %255s", go_core) == 1 || sscanf(line, "kernels %63s", go_kernels) == 1 || line[0] == '#' ||
		    sscanf(line, "%d %" SCNu64 " %d%n", &mode, &seed, &rows, &used) != 3 || rows != ROWS)
			continue;
		int same_core = strcmp(go_core, lib_core) == 0 && strcmp(go_kernels, lib_kernels) == 0;
		int rc = mfpo_policy_act(p, obs, ROWS * OBS, ROWS, mode, seed, got, ROWS * ACT);
		cases++;
		for (char *s = line + used; rc == MFPO_OK && n < ROWS * ACT; n++) {
			uint32_t want = (uint32_t)strtoul(s, &s, 16);
			float w;
			memcpy(&w, &want, sizeof w);
			double d = fabs((double)got[n] - (double)w) / (1 + fabs((double)w));
			if (d > worst)
				worst = d;
			if (same_core ? float_bits(got[n]) != want : !(d <= TOL)) {
				printf("     mode %d seed %" PRIu64 " element %d: C %08" PRIx32 " (%.9g), Go %08" PRIx32 " (%.9g)\n",
				       mode, seed, n, float_bits(got[n]), got[n], want, w);
				mismatches++;
				break;
			}
		}
		if (rc != MFPO_OK)
			mismatches++;
	}
	fclose(f);
	check(go_core[0] != '\0', "the fixture names the BLAS core Go ran", "no \"core\" line in %s", path);
	check(go_kernels[0] != '\0', "the fixture names the vector kernels Go ran", "no \"kernels\" line in %s", path);
	check(cases == 9, "9 cases (3 modes x 3 seeds)", "%d", cases);
	if (strcmp(go_core, lib_core) == 0 && strcmp(go_kernels, lib_kernels) == 0)
		check(mismatches == 0, "same kernels as Go: C's actions equal Go's bit for bit, in the checkpoint's units",
		      "core %s, kernels %s: %d of %d cases differ", lib_core, lib_kernels, mismatches, cases);
	else {
		char name[256];
		printf("     BLAS core and kernels: library %s %s, Go %s %s; largest |C - Go| / (1 + |Go|) = %.3g\n", lib_core,
		       lib_kernels, go_core, go_kernels, worst);
		snprintf(name, sizeof name,
		         "other kernels than Go's: C's actions equal Go's within %g relative, in the checkpoint's units",
		         TOL);
		check(mismatches == 0, name, "library %s %s, Go %s %s: %d of %d cases differ", lib_core, lib_kernels, go_core,
		      go_kernels, mismatches, cases);
	}
	mfpo_policy_free(p);
	check(mfpo_debug_live_handles() == 0, "no live handles", "%zu", mfpo_debug_live_handles());
	return finish();
}
