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

// adam_to: Adam out of place (each destination may alias its source).
extern "C" __global__ void adam_to(float* pDst, float* mDst, float* vDst, const float* params, const float* grad,
	const float* m, const float* v, float step, float epsHat, float b1, float b2, i64 n) {
	FOR_N(i, n) {
		float g = grad[i];
		float mi = b1 * m[i] + (1.0f - b1) * g;
		float vi = b2 * v[i] + (1.0f - b2) * g * g;
		mDst[i] = mi;
		vDst[i] = vi;
		pDst[i] = params[i] - step * mi / (sqrtf(vi) + epsHat);
	}
}

// polyak_to: dst = τ·online + (1−τ)·target (dst may alias target).
extern "C" __global__ void polyak_to(float* dst, const float* target, const float* online, float tau, i64 n) {
	float keep = 1.0f - tau;
	FOR_N(i, n) dst[i] = tau * online[i] + keep * target[i];
}

// sum64: *out = Σ x_i in double, one block of SUM_THREADS threads, each
// summing a strided slice in order, then a fixed tree: deterministic.
#define SUM_THREADS 1024
extern "C" __global__ void sum64(double* out, const float* x, i64 n) {
	__shared__ double sh[SUM_THREADS];
	double s = 0.0;
	for (i64 i = threadIdx.x; i < n; i += SUM_THREADS) s += (double)x[i];
	sh[threadIdx.x] = s;
	__syncthreads();
	for (int k = SUM_THREADS / 2; k > 0; k >>= 1) {
		if (threadIdx.x < k) sh[threadIdx.x] += sh[threadIdx.x + k];
		__syncthreads();
	}
	if (threadIdx.x == 0) *out = sh[0];
}
