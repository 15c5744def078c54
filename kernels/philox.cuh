// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC 2011): a counter-based generator, so draw e of a stream is a pure
// function of (key, counter) and a GPU run is reproducible per seed. The Go
// reference is gocore/backend/cuda/philox.go; a test pins both to the
// paper's known-answer vectors.
#pragma once

struct u32x4 {
	unsigned int v[4];
};

__device__ __forceinline__ u32x4 philox4x32_10(u32x4 c, unsigned int k0, unsigned int k1) {
	const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
	for (int r = 0; r < 10; r++) {
		if (r > 0) {
			k0 += W0;
			k1 += W1;
		}
		unsigned int hi0 = __umulhi(M0, c.v[0]), lo0 = M0 * c.v[0];
		unsigned int hi1 = __umulhi(M1, c.v[2]), lo1 = M1 * c.v[2];
		u32x4 n;
		n.v[0] = hi1 ^ c.v[1] ^ k0;
		n.v[1] = lo1;
		n.v[2] = hi0 ^ c.v[3] ^ k1;
		n.v[3] = lo0;
		c = n;
	}
	return c;
}

// uniform01 maps 32 random bits to (0, 1): (top 24 bits + ½)·2⁻²⁴.
__device__ __forceinline__ float uniform01(unsigned int x) { return ((float)(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

// normal4 sets z[0…3] to four N(0, 1) draws of block b of the stream
// (seed, counter): Philox of counter (b, counter) under key seed, two
// Box–Muller pairs from its four words.
__device__ __forceinline__ void normal4(float* z, unsigned long long seed, unsigned long long counter,
	unsigned long long b) {
	u32x4 c;
	c.v[0] = (unsigned int)b;
	c.v[1] = (unsigned int)(b >> 32);
	c.v[2] = (unsigned int)counter;
	c.v[3] = (unsigned int)(counter >> 32);
	u32x4 u = philox4x32_10(c, (unsigned int)seed, (unsigned int)(seed >> 32));
#pragma unroll
	for (int h = 0; h < 2; h++) {
		float r = sqrtf(-2.0f * logf(uniform01(u.v[2 * h])));
		float s, co;
		sincospif(2.0f * uniform01(u.v[2 * h + 1]), &s, &co);
		z[2 * h] = r * co;
		z[2 * h + 1] = r * s;
	}
}

// uniform53 maps two random words to (0, 1) with 53 bits: the inverse
// CDF below needs more than float's resolution in the tails.
__device__ __forceinline__ double uniform53(unsigned int hi, unsigned int lo) {
	return ((double)(hi >> 5) * 67108864.0 + (double)(lo >> 6) + 0.5) * (1.0 / 9007199254740992.0);
}

// truncnormal01 is a draw of N(0, 1) conditioned on [a, b] from the uniform
// u: mirrored so that a + b ≤ 0 (the interval's far end in the lower
// tail, where Φ keeps its relative accuracy), then the inverse CDF
// Φ⁻¹(Φ(a) + u·(Φ(b) − Φ(a))) in double; where even b is below −37
// (Φ underflows) the tail's Rayleigh inversion y = √(p² − 2 log(1 − u(1 −
// e^{(p² − q²)/2}))) on [p, q] = [−b, −a], whose density y·e^{−y²/2}
// differs from the normal's by the factor y/p ∈ [1, q/p].
__device__ __forceinline__ double truncnormal01(double a, double b, double u) {
	bool flip = a + b > 0.0;
	if (flip) {
		double t = a;
		a = -b;
		b = -t;
	}
	double x;
	if (b < -37.0) {
		double p = -b, q = -a;
		x = -sqrt(p * p - 2.0 * log1p(u * expm1(0.5 * (p * p - q * q))));
	} else {
		double fa = normcdf(a), fb = normcdf(b);
		x = normcdfinv(fa + u * (fb - fa));
	}
	x = fmin(fmax(x, a), b);
	return flip ? -x : x;
}
