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
