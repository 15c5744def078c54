// The fused layer kernels of the backend: bias + LayerNorm + GELU forward,
// its Jacobian-vector product and its backward pass, GELU alone, and the
// Fourier time features (backend.Backend's LNGELU … FourierBackward; the
// equations are in gocore/backend/backend.go and docs/algorithm.md §7).
// The row kernels run one block per row; their sums are blockSum's fixed
// trees, so every result is deterministic.
#include "common.cuh"

#define GELU_K 0.7978845608028654f // √(2/π)
#define GELU_C 0.044715f
#define TWO_PI_F 6.2831855f // float32(2π), as the CPU backend rounds it
#define LN_EPS 1e-6         // backend.LayerNormEps

// gelu sets *g = GELU(v) = ½v(1 + tanh z), z = √(2/π)(v + 0.044715v³), and
// returns GELU′(v) = ½(1 + tanh z) + ½v(1 − tanh²z)·√(2/π)(1 + 3·0.044715v²).
__device__ __forceinline__ float gelu(float v, float* g) {
	float th = tanhf(GELU_K * (v + GELU_C * v * v * v));
	*g = 0.5f * v * (1.0f + th);
	return 0.5f * (1.0f + th) + 0.5f * v * (1.0f - th * th) * GELU_K * (1.0f + 3.0f * GELU_C * v * v);
}

// gelu_fwd: h = GELU(x), gp = GELU′(x), n elements; h may alias x.
extern "C" __global__ void gelu_fwd(float* h, float* gp, const float* x, i64 n) {
	FOR_N(i, n) {
		float g;
		float d = gelu(x[i], &g);
		h[i] = g;
		gp[i] = d;
	}
}

// mul_rows: dy[i·w + j] = dx[i·w + j]·m[(i/p)·w + j] for rows·p rows: GELU
// alone's JVP (p tangents per row) and backward pass (p = 1). dy may alias dx.
extern "C" __global__ void mul_rows(float* dy, const float* dx, const float* m, i64 rows, i64 p, i64 w) {
	FOR_N(i, rows * p * w) {
		i64 r = i / w, j = i - r * w;
		dy[i] = dx[i] * m[(r / p) * w + j];
	}
}

// ln_gelu_fwd: per row, z = x + bias (bias NULL: z = x), x̂ = (z − mean)/σ,
// σ = √(mean (z − mean)² + ε), y = γ⊙x̂ + β, h = GELU(y), gp = GELU′(y);
// writes x̂ to xhat and 1/σ to rstd. xhat may alias x.
extern "C" __global__ void ln_gelu_fwd(float* h, float* gp, float* xhat, float* rstd, const float* x, const float* bias,
	const float* gamma, const float* beta, i64 rows, i64 w) {
	__shared__ float sh[ROW_THREADS];
	for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
		const float* xr = x + r * w;
		float s = 0.0f;
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) s += xr[j] + (bias ? bias[j] : 0.0f);
		float mean = blockSum(s, sh) / (float)w;
		float q = 0.0f;
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) {
			float c = xr[j] + (bias ? bias[j] : 0.0f) - mean;
			q += c * c;
		}
		float rs = (float)(1.0 / sqrt((double)(blockSum(q, sh) / (float)w) + LN_EPS));
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) {
			float xh = (xr[j] + (bias ? bias[j] : 0.0f) - mean) * rs;
			float g;
			float d = gelu(gamma[j] * xh + beta[j], &g);
			xhat[r * w + j] = xh;
			h[r * w + j] = g;
			gp[r * w + j] = d;
		}
		if (threadIdx.x == 0) rstd[r] = rs;
	}
}

// ln_gelu_jvp: for tangent row i of rows·p (state row r = i/p), with
// ċ = ẋ − mean ẋ: ẏ = gp ⊙ γ ⊙ (ċ − x̂·mean(x̂⊙ċ))/σ. dy may alias dx.
extern "C" __global__ void ln_gelu_jvp(float* dy, const float* dx, const float* xhat, const float* rstd, const float* gp,
	const float* gamma, i64 rows, i64 p, i64 w) {
	__shared__ float sh[ROW_THREADS];
	for (i64 i = blockIdx.x; i < rows * p; i += gridDim.x) {
		i64 r = i / p;
		const float* d = dx + i * w;
		const float* xh = xhat + r * w;
		float s = 0.0f;
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) s += d[j];
		float mdx = blockSum(s, sh) / (float)w;
		float q = 0.0f;
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) q += xh[j] * (d[j] - mdx);
		float mxc = blockSum(q, sh) / (float)w;
		float rs = rstd[r];
		for (i64 j = threadIdx.x; j < w; j += blockDim.x)
			dy[i * w + j] = gamma[j] * (d[j] - mdx - xh[j] * mxc) * rs * gp[r * w + j];
	}
}

// ln_gelu_bwd_params: dγ[j] += Σ_r g⊙x̂, dβ[j] += Σ_r g with g = gp⊙dh; run
// before ln_gelu_bwd, which may overwrite dh. Blocks of 32 columns × 16
// row groups, summed in a fixed tree.
extern "C" __global__ void ln_gelu_bwd_params(float* dgamma, float* dbeta, const float* dh, const float* xhat,
	const float* gp, i64 rows, i64 w) {
	__shared__ float sg[16][33], sb[16][33];
	i64 j = (i64)blockIdx.x * 32 + threadIdx.x;
	float a = 0.0f, b = 0.0f;
	if (j < w)
		for (i64 r = threadIdx.y; r < rows; r += 16) {
			float g = gp[r * w + j] * dh[r * w + j];
			a += g * xhat[r * w + j];
			b += g;
		}
	sg[threadIdx.y][threadIdx.x] = a;
	sb[threadIdx.y][threadIdx.x] = b;
	__syncthreads();
	for (int k = 8; k > 0; k >>= 1) {
		if (threadIdx.y < k) {
			sg[threadIdx.y][threadIdx.x] += sg[threadIdx.y + k][threadIdx.x];
			sb[threadIdx.y][threadIdx.x] += sb[threadIdx.y + k][threadIdx.x];
		}
		__syncthreads();
	}
	if (threadIdx.y == 0 && j < w) {
		dgamma[j] += sg[0][threadIdx.x];
		dbeta[j] += sb[0][threadIdx.x];
	}
}

// ln_gelu_bwd: per row, with a = γ⊙gp⊙dh: dx = (a − mean a − x̂·mean(a⊙x̂))/σ.
// dx may alias dh.
extern "C" __global__ void ln_gelu_bwd(float* dx, const float* dh, const float* xhat, const float* rstd, const float* gp,
	const float* gamma, i64 rows, i64 w) {
	__shared__ float sh[ROW_THREADS];
	for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
		float s = 0.0f, q = 0.0f;
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) {
			float a = gamma[j] * gp[r * w + j] * dh[r * w + j];
			s += a;
			q += a * xhat[r * w + j];
		}
		float mg = blockSum(s, sh) / (float)w;
		float mgx = blockSum(q, sh) / (float)w;
		float rs = rstd[r];
		for (i64 j = threadIdx.x; j < w; j += blockDim.x) {
			float a = gamma[j] * gp[r * w + j] * dh[r * w + j];
			dx[r * w + j] = (a - mg - xhat[r * w + j] * mgx) * rs;
		}
	}
}

// fourier_fwd: out[i] = [cos 2πt_iW, sin 2πt_iW] for F frequencies W. The
// turn count t·W is reduced to [−½, ½] in double before sincospi, as the
// CPU backend reduces it.
extern "C" __global__ void fourier_fwd(float* out, const float* t, const float* freq, i64 rows, i64 f) {
	FOR_N(idx, rows * f) {
		i64 i = idx / f, k = idx - i * f;
		double a = (double)t[i] * (double)freq[k];
		double s, c;
		sincospi(2.0 * (a - rint(a)), &s, &c);
		out[i * 2 * f + k] = (float)c;
		out[i * 2 * f + f + k] = (float)s;
	}
}

// fourier_jvp: dout[i] = [−sin f⊙ḟ, cos f⊙ḟ], ḟ = 2πW·ṫ_i, for rows·p
// tangent rows (state row i/p) from the recorded out.
extern "C" __global__ void fourier_jvp(float* dout, const float* dt, const float* out, const float* freq, i64 rows, i64 p,
	i64 f) {
	FOR_N(idx, rows * p * f) {
		i64 i = idx / f, k = idx - i * f, r = i / p;
		float df = TWO_PI_F * freq[k] * dt[i];
		dout[i * 2 * f + k] = -out[r * 2 * f + f + k] * df;
		dout[i * 2 * f + f + k] = out[r * 2 * f + k] * df;
	}
}

// fourier_g is the gradient with respect to the phase 2πtW_k of row i.
__device__ __forceinline__ float fourier_g(const float* dout, const float* out, i64 i, i64 k, i64 f) {
	const float* o = out + i * 2 * f;
	const float* d = dout + i * 2 * f;
	return (-o[f + k] * d[k] + o[k] * d[f + k]) * TWO_PI_F;
}

// fourier_bwd_freq: dfreq[k] += Σ_i g_ik·t_i (32 frequencies × 16 row
// groups a block, a fixed tree).
extern "C" __global__ void fourier_bwd_freq(float* dfreq, const float* dout, const float* t, const float* out, i64 rows,
	i64 f) {
	__shared__ float sh[16][33];
	i64 k = (i64)blockIdx.x * 32 + threadIdx.x;
	float s = 0.0f;
	if (k < f)
		for (i64 i = threadIdx.y; i < rows; i += 16) s += fourier_g(dout, out, i, k, f) * t[i];
	sh[threadIdx.y][threadIdx.x] = s;
	__syncthreads();
	for (int m = 8; m > 0; m >>= 1) {
		if (threadIdx.y < m) sh[threadIdx.y][threadIdx.x] += sh[threadIdx.y + m][threadIdx.x];
		__syncthreads();
	}
	if (threadIdx.y == 0 && k < f) dfreq[k] += sh[0][threadIdx.x];
}

// fourier_bwd_t: dt[i] = Σ_k g_ik·W_k, in k order as the CPU sums it.
extern "C" __global__ void fourier_bwd_t(float* dt, const float* dout, const float* out, const float* freq, i64 rows,
	i64 f) {
	FOR_N(i, rows) {
		float s = 0.0f;
		for (i64 k = 0; k < f; k++) s += fourier_g(dout, out, i, k, f) * freq[k];
		dt[i] = s;
	}
}
