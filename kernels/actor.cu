// The actor step's kernels (backend.Backend's NoisyActions,
// TruncPosterior, SNISVelocity with the ESS mix; docs/algorithm.md §4).
#include "common.cuh"
#include "philox.cuh"

// noisy_actions: per state, t ← clamp(t, g, 1−g), h ← clamp(h, 0, t),
// a_t = (1−t)·a0 + t·ε.
extern "C" __global__ void noisy_actions(float* at, float* t, float* h, const float* a0, const float* noise, i64 rows, i64 d,
	float guard) {
	FOR_N(s, rows) {
		float ts = fminf(fmaxf(t[s], guard), 1.0f - guard);
		t[s] = ts;
		h[s] = fminf(fmaxf(h[s], 0.0f), ts);
		for (i64 j = s * d; j < (s + 1) * d; j++) at[j] = (1.0f - ts) * a0[j] + ts * noise[j];
	}
}

// trunc_posterior: for state i, draw kk < k, dimension j (element
// e = (i·k + kk)·d + j of the call): ε′ = N(0, 1) truncated to
// [(a − (1−t))/t, (a + (1−t))/t] from Philox block e under key seed0 and
// counter seed1, a_0 = clip((a − t·ε′)/(1 − t), −1, 1), in double, into
// dst[i·ldd + kk·d + j].
extern "C" __global__ void trunc_posterior(float* dst, i64 ldd, const float* at, const float* t, i64 rows, i64 k, i64 d,
	unsigned long long seed0, unsigned long long seed1) {
	FOR_N(e, rows * k * d) {
		i64 i = e / (k * d), r = e - i * k * d, j = r % d;
		double x = (double)at[i * d + j], ti = (double)t[i];
		u32x4 c;
		c.v[0] = (unsigned int)e;
		c.v[1] = (unsigned int)((unsigned long long)e >> 32);
		c.v[2] = (unsigned int)seed1;
		c.v[3] = (unsigned int)(seed1 >> 32);
		u32x4 w = philox4x32_10(c, (unsigned int)seed0, (unsigned int)(seed0 >> 32));
		double eps = truncnormal01((x - (1.0 - ti)) / ti, (x + (1.0 - ti)) / ti, uniform53(w.v[0], w.v[1]));
		dst[i * ldd + r] = (float)fmin(fmax((x - ti * eps) / (1.0 - ti), -1.0), 1.0);
	}
}

// normalise turns log-weights into weights summing to 1 and returns the
// ESS 1/Σw² (cpu.Normalise).
__device__ double normalise(double* w, i64 n) {
	double m = -INFINITY;
	for (i64 i = 0; i < n; i++) m = fmax(m, w[i]);
	double s = 0.0, sq = 0.0;
	for (i64 i = 0; i < n; i++) {
		w[i] = exp(w[i] - m);
		s += w[i];
	}
	for (i64 i = 0; i < n; i++) {
		w[i] /= s;
		sq += w[i] * w[i];
	}
	return 1.0 / sq;
}

// snis_velocity: per state (cpu.SNISRow with the ESS mix): log-weights of
// the policy's k1 and the posterior's k2 candidates, each normalised, the
// two estimates mixed by their ESS. stats[3i …] = ESS¹, ESS², Σ of the
// policy candidates' Q; w is double scratch [rows×(k1+k2)].
extern "C" __global__ void snis_velocity(float* vhat, double* stats, double* w, const float* at, const float* t,
	const float* cand, const float* q, const float* logp, i64 rows, i64 k1, i64 k2, i64 d, double alpha) {
	FOR_N(s, rows) {
		i64 k = k1 + k2;
		const float* a = at + s * d;
		const float* cs = cand + s * k * d;
		const float* qs = q + s * k;
		double* ws = w + s * k;
		double ts = (double)t[s];
		for (i64 kk = 0; kk < k1; kk++) {
			double sq = 0.0;
			for (i64 j = 0; j < d; j++) {
				double r = (double)a[j] - (1.0 - ts) * (double)cs[kk * d + j];
				sq += r * r;
			}
			ws[kk] = (double)qs[kk] / alpha - sq / (2.0 * ts * ts) - (double)logp[s * k1 + kk];
		}
		for (i64 kk = k1; kk < k; kk++) ws[kk] = (double)qs[kk] / alpha;
		double e1 = normalise(ws, k1), e2 = normalise(ws + k1, k2);
		double lambda = e1 / (e1 + e2 + 1e-10);
		for (i64 j = 0; j < d; j++) {
			double v1 = 0.0, v2 = 0.0;
			for (i64 kk = 0; kk < k1; kk++) v1 += ws[kk] * (double)cs[kk * d + j];
			for (i64 kk = k1; kk < k; kk++) v2 += ws[kk] * (double)cs[kk * d + j];
			v1 = ((double)a[j] - v1) / ts;
			v2 = ((double)a[j] - v2) / ts;
			vhat[s * d + j] = (float)(lambda * v1 + (1.0 - lambda) * v2);
		}
		double sumQ = 0.0;
		for (i64 kk = 0; kk < k1; kk++) sumQ += (double)qs[kk];
		stats[3 * s] = e1;
		stats[3 * s + 1] = e2;
		stats[3 * s + 2] = sumQ;
	}
}
