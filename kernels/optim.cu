// The optimiser kernels of the backend: Adam, Polyak averaging and the
// search for the first non-finite value (backend.Backend's Adam, Polyak,
// FirstNonFinite).
#include "common.cuh"

// adam: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − step·m/(√v + ε̂).
extern "C" __global__ void adam(float* params, const float* grad, float* m, float* v, float step, float epsHat, float b1,
	float b2, i64 n) {
	FOR_N(i, n) {
		float g = grad[i];
		float mi = b1 * m[i] + (1.0f - b1) * g;
		float vi = b2 * v[i] + (1.0f - b2) * g * g;
		m[i] = mi;
		v[i] = vi;
		params[i] -= step * mi / (sqrtf(vi) + epsHat);
	}
}

// polyak: target ← τ·online + (1−τ)·target.
extern "C" __global__ void polyak(float* target, const float* online, float tau, i64 n) {
	float keep = 1.0f - tau;
	FOR_N(i, n) target[i] = tau * online[i] + keep * target[i];
}

// first_nonfinite_init: *out = n (no non-finite value yet).
extern "C" __global__ void first_nonfinite_init(unsigned long long* out, i64 n) {
	if (blockIdx.x == 0 && threadIdx.x == 0) *out = (unsigned long long)n;
}

// first_nonfinite: *out = min(*out, i) for every NaN or infinity x[i]; the
// minimum does not depend on the order of the atomics.
extern "C" __global__ void first_nonfinite(unsigned long long* out, const float* x, i64 n) {
	FOR_N(i, n) {
		float v = x[i];
		if (v - v != 0.0f) atomicMin(out, (unsigned long long)i);
	}
}
