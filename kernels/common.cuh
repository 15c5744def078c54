// Shared by the kernels of mfpo's CUDA backend (gocore/backend/cuda).
// Every kernel is extern "C" (its PTX name is its C name) and takes its
// scalars as long long (counts, strides) or float: the Go side passes
// every parameter in an 8-byte slot.
#pragma once

typedef long long i64;

// Grid-stride loop over [0, n).
#define FOR_N(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// The block size of the row kernels (one block per row); a power of two.
#define ROW_THREADS 256

// blockSum returns the sum of v over the block (blockDim.x a power of two
// ≤ ROW_THREADS) to every thread, in a fixed order: deterministic.
__device__ __forceinline__ float blockSum(float v, float* sh) {
	int t = threadIdx.x;
	sh[t] = v;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s) sh[t] += sh[t + s];
		__syncthreads();
	}
	float r = sh[0];
	__syncthreads();
	return r;
}
