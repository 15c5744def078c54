// Random draws on the device from Philox-4x32-10 (philox.cuh): element e of
// a fill is draw e of the stream (seed, counter), whatever the launch
// shape, so the same seed and counter give the same numbers on every GPU.
#include "common.cuh"
#include "philox.cuh"

// normal_fill: x[e] = N(0, 1) draw e of the stream (seed, counter), e < n.
extern "C" __global__ void normal_fill(float* x, i64 n, unsigned long long seed, unsigned long long counter) {
	FOR_N(b, (n + 3) / 4) {
		float z[4];
		normal4(z, seed, counter, (unsigned long long)b);
		for (int l = 0; l < 4 && 4 * b + l < n; l++) x[4 * b + l] = z[l];
	}
}

// trunc_normal: x[e] = N(0, 1) conditioned on [lo[e], hi[e]] (standardised
// bounds; lo < hi, either may be ±∞), from block e of the stream (seed,
// counter): its words 0 and 1 make one 53-bit uniform (truncnormal01).
extern "C" __global__ void trunc_normal(float* x, const float* lo, const float* hi, i64 n, unsigned long long seed,
	unsigned long long counter) {
	FOR_N(e, n) {
		u32x4 c;
		c.v[0] = (unsigned int)e;
		c.v[1] = (unsigned int)((unsigned long long)e >> 32);
		c.v[2] = (unsigned int)counter;
		c.v[3] = (unsigned int)(counter >> 32);
		u32x4 w = philox4x32_10(c, (unsigned int)seed, (unsigned int)(seed >> 32));
		x[e] = (float)truncnormal01((double)lo[e], (double)hi[e], uniform53(w.v[0], w.v[1]));
	}
}
