// The critics' C51 kernels (backend.Backend's C51Target, C51CrossEntropy,
// C51Values; docs/algorithm.md §3). One thread a row: a row is A ≈ 101
// atoms and the batch a few hundred rows, so the row's sums run in order,
// in double, as the CPU backend's do.
#include "common.cuh"

// row_max is the largest element (NaN when x[0] is NaN), as the CPU's.
__device__ __forceinline__ float row_max(const float* x, i64 n) {
	float m = x[0];
	for (i64 j = 1; j < n; j++)
		if (x[j] > m) m = x[j];
	return m;
}

// softmax_row overwrites x with softmax(x): e^(x − max), summed in double.
__device__ void softmax_row(float* x, i64 n) {
	float m = row_max(x, n);
	double s = 0.0;
	for (i64 j = 0; j < n; j++) {
		x[j] = expf(x[j] - m);
		s += (double)x[j];
	}
	float inv = (float)(1.0 / s);
	for (i64 j = 0; j < n; j++) x[j] *= inv;
}

// project clears rho and adds the probabilities p placed at
// Tz_j = r + gm·(z_j − shift) onto the support (cpu.Project).
__device__ void project(float* rho, const float* p, const float* z, i64 n, float r, float gm, float shift, float lo,
	float hi, float dz) {
	for (i64 j = 0; j < n; j++) rho[j] = 0.0f;
	i64 last = n - 1;
	for (i64 j = 0; j < n; j++) {
		float pj = p[j];
		float t = r + gm * (z[j] - shift);
		if (t < lo) t = lo;
		else if (t > hi) t = hi;
		float b = (t - lo) / dz;
		if (b != b) {
			rho[0] = b;
			continue;
		}
		i64 l = (i64)b;
		if (l >= last) {
			rho[last] += pj;
			continue;
		}
		float fl = (float)l;
		if (fl == b) {
			rho[l] += pj;
			continue;
		}
		rho[l] += pj * (fl + 1.0f - b);
		rho[l + 1] += pj * (b - fl);
	}
}

__device__ __forceinline__ double dot64(const float* p, const float* z, i64 n) {
	double m = 0.0;
	for (i64 j = 0; j < n; j++) m += (double)p[j] * (double)z[j];
	return m;
}

// c51_target: per row, softmax both target critics' logits, project each
// at r + γ·m·(z − α·logp), keep the one of lower mean (clipped) or average
// them. logits0 ends as the second projection, logits1 as its softmax.
extern "C" __global__ void c51_target(float* rho, float* logits0, float* logits1, const float* z, float lo, float hi,
	float dz, const float* reward, const float* notDone, const float* logp, float gamma, float alpha, i64 clipped, i64 rows,
	i64 n) {
	FOR_N(i, rows) {
		float r = reward[i], gm = gamma * notDone[i], shift = alpha * logp[i];
		float* out = rho + i * n;
		float* p0 = logits0 + i * n;
		float* p1 = logits1 + i * n;
		softmax_row(p0, n);
		softmax_row(p1, n);
		project(out, p0, z, n, r, gm, shift, lo, hi, dz);
		project(p0, p1, z, n, r, gm, shift, lo, hi, dz); // p0 is spent: the second projection goes there
		if (clipped) {
			double m0 = dot64(out, z, n), m1 = dot64(p0, z, n);
			if (m1 < m0 || m1 != m1)
				for (i64 j = 0; j < n; j++) out[j] = p0[j];
			continue;
		}
		for (i64 j = 0; j < n; j++) out[j] = 0.5f * (out[j] + p0[j]);
	}
}

// c51_cross_entropy: loss[i] = −Σ_j ρ_j·log softmax(l)_j (double) and the
// logits overwritten with scale·(softmax_j·Σρ − ρ_j).
extern "C" __global__ void c51_cross_entropy(double* loss, float* logits, const float* rho, float scale, i64 rows, i64 n) {
	FOR_N(i, rows) {
		float* l = logits + i * n;
		const float* p = rho + i * n;
		float m = row_max(l, n);
		double rsum = 0.0, dot = 0.0, s = 0.0;
		for (i64 j = 0; j < n; j++) {
			double r = (double)p[j];
			rsum += r;
			dot += r * (double)(l[j] - m);
		}
		for (i64 j = 0; j < n; j++) {
			l[j] = expf(l[j] - m);
			s += (double)l[j];
		}
		loss[i] = rsum * log(s) - dot;
		float c = (float)(rsum / s * (double)scale);
		for (i64 j = 0; j < n; j++) l[j] = c * l[j] - scale * p[j];
	}
}

// softmax_mean is Σ softmax(l)_j·z_j, overwriting l with e^(l − max).
__device__ float softmax_mean(float* l, const float* z, i64 n) {
	float m = row_max(l, n);
	double s = 0.0, sz = 0.0;
	for (i64 j = 0; j < n; j++) {
		l[j] = expf(l[j] - m);
		s += (double)l[j];
		sz += (double)l[j] * (double)z[j];
	}
	return (float)(sz / s);
}

// c51_values: q[i] = min(Q0, Q1) or their mean.
extern "C" __global__ void c51_values(float* q, float* logits0, float* logits1, const float* z, i64 rows, i64 n, i64 useMin) {
	FOR_N(i, rows) {
		float q0 = softmax_mean(logits0 + i * n, z, n);
		float q1 = softmax_mean(logits1 + i * n, z, n);
		q[i] = useMin ? fminf(q0, q1) : 0.5f * (q0 + q1);
	}
}
