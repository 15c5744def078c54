// Elementwise and row kernels of the backend (backend.Backend's Copy …
// SetRows). Matrices are row-major; ld is a row stride in elements.
#include "common.cuh"

// copy_rows: dst[r·ldd + j] = src[r·lds + j] (src NULL: 0), r < rows, j < w.
extern "C" __global__ void copy_rows(float* dst, i64 ldd, const float* src, i64 lds, i64 rows, i64 w) {
	FOR_N(i, rows * w) {
		i64 r = i / w, j = i - r * w;
		dst[r * ldd + j] = src ? src[r * lds + j] : 0.0f;
	}
}

// add_rows: dst[r·ldd + j] += src[r·lds + j].
extern "C" __global__ void add_rows(float* dst, i64 ldd, const float* src, i64 lds, i64 rows, i64 w) {
	FOR_N(i, rows * w) {
		i64 r = i / w, j = i - r * w;
		dst[r * ldd + j] += src[r * lds + j];
	}
}

// repeat_rows: dst[(r·rep + k)·w + j] = src[r·w + j], k < rep.
extern "C" __global__ void repeat_rows(float* dst, const float* src, i64 rows, i64 rep, i64 w) {
	FOR_N(i, rows * rep * w) {
		i64 row = i / w, j = i - row * w;
		dst[i] = src[(row / rep) * w + j];
	}
}

// fill: x[i] = v.
extern "C" __global__ void fill(float* x, float v, i64 n) {
	FOR_N(i, n) x[i] = v;
}

// axpy: y[i] += a·x[i].
extern "C" __global__ void axpy(float* y, float a, const float* x, i64 n) {
	FOR_N(i, n) y[i] += a * x[i];
}

// clamp: x[i] = min(max(x[i], lo), hi), NaN kept (fminf/fmaxf would drop it).
extern "C" __global__ void clamp(float* x, float lo, float hi, i64 n) {
	FOR_N(i, n) {
		float v = x[i];
		if (v == v) x[i] = fminf(fmaxf(v, lo), hi);
	}
}

// sum_rows: db[j] += Σ_r dy[r·w + j]. Blocks of 32 columns × 16 row
// groups; each thread sums rows ty, ty+16, …, then the 16 partial sums add
// in a fixed tree: deterministic.
extern "C" __global__ void sum_rows(float* db, const float* dy, i64 rows, i64 w) {
	__shared__ float sh[16][33];
	i64 j = (i64)blockIdx.x * 32 + threadIdx.x;
	float s = 0.0f;
	if (j < w)
		for (i64 r = threadIdx.y; r < rows; r += 16) s += dy[r * w + j];
	sh[threadIdx.y][threadIdx.x] = s;
	__syncthreads();
	for (int k = 8; k > 0; k >>= 1) {
		if (threadIdx.y < k) sh[threadIdx.y][threadIdx.x] += sh[threadIdx.y + k][threadIdx.x];
		__syncthreads();
	}
	if (threadIdx.y == 0 && j < w) db[j] += sh[0][threadIdx.x];
}

// set_rows: y[r·w + j] = b[j].
extern "C" __global__ void set_rows(float* y, const float* b, i64 rows, i64 w) {
	FOR_N(i, rows * w) y[i] = b[i % w];
}

// row_sum_squares: dst[r] = c + α·Σ_j x[r·w + j]², one thread a row summing
// in order as the CPU does (w is an action width: a few elements).
extern "C" __global__ void row_sum_squares(float* dst, const float* x, i64 rows, i64 w, float alpha, float c) {
	FOR_N(r, rows) {
		float s = 0.0f;
		for (i64 j = 0; j < w; j++) {
			float v = x[r * w + j];
			s += v * v;
		}
		dst[r] = c + alpha * s;
	}
}
