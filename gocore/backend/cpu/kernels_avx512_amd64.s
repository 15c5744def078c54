//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// AVX-512F kernels, 16 float32 lanes (see kernels_amd64.go for what each
// computes). Every loop runs over whole 16-lane vectors and then one
// masked vector for the row's tail (K1), with the same instructions, so
// an element's result depends neither on its position nor on the row
// count. Reductions run over fixed lanes and accumulators: deterministic.

// Offsets into vecConsts (kernels.go).
#define C_K     (const_cK*32)
#define C_KC    (const_cKC*32)
#define C_K3C   (const_cK3C*32)
#define C_INV81 (const_cInv81*32)
#define C_P0    (const_cP0*32)
#define C_P1    (const_cP1*32)
#define C_P2    (const_cP2*32)
#define C_P3    (const_cP3*32)
#define C_P4    (const_cP4*32)
#define C_P5    (const_cP5*32)
#define C_P6    (const_cP6*32)
#define C_Q0    (const_cQ0*32)
#define C_Q1    (const_cQ1*32)
#define C_Q2    (const_cQ2*32)
#define C_ONE   (const_cOne*32)
#define C_HALF  (const_cHalf*32)
#define C_NEG9  (const_cNeg9*32)
#define C_POS9  (const_cPos9*32)
#define C_INV9  (const_cInv9*32)
#define C_EXPLO    (const_cExpLo*32)
#define C_EXPHI    (const_cExpHi*32)
#define C_EXPLOG2E (const_cExpLog2e*32)
#define C_EXPC1    (const_cExpC1*32)
#define C_EXPC2    (const_cExpC2*32)
#define C_EXPMAGIC (const_cExpMagic*32)
#define C_EXPE0    (const_cExpE0*32)
#define C_EXPE1    (const_cExpE1*32)
#define C_EXPE2    (const_cExpE2*32)
#define C_EXPE3    (const_cExpE3*32)
#define C_EXPE4    (const_cExpE4*32)
#define C_EXPE5    (const_cExpE5*32)

// GELUCONSTS broadcasts the GELU constants into Z12…Z29 from R8.
#define GELUCONSTS \
	VBROADCASTSS C_K(R8), Z12; \
	VBROADCASTSS C_KC(R8), Z13; \
	VBROADCASTSS C_K3C(R8), Z14; \
	VBROADCASTSS C_INV81(R8), Z15; \
	VBROADCASTSS C_P0(R8), Z16; \
	VBROADCASTSS C_P1(R8), Z17; \
	VBROADCASTSS C_P2(R8), Z18; \
	VBROADCASTSS C_P3(R8), Z19; \
	VBROADCASTSS C_P4(R8), Z20; \
	VBROADCASTSS C_P5(R8), Z21; \
	VBROADCASTSS C_P6(R8), Z22; \
	VBROADCASTSS C_Q0(R8), Z23; \
	VBROADCASTSS C_Q1(R8), Z24; \
	VBROADCASTSS C_Q2(R8), Z25; \
	VBROADCASTSS C_ONE(R8), Z26; \
	VBROADCASTSS C_HALF(R8), Z27; \
	VBROADCASTSS C_NEG9(R8), Z28; \
	VBROADCASTSS C_POS9(R8), Z29

// GELU512H sets Z8 = GELU(y) for y in Z0 (geluRow), and GELUD512 after it
// Z9 = GELU′(y), with
// y2 = y², z = clamp(y·(k + kc·y2), −9, 9) (NaN passes), tanh z =
// z·P(z²/81)/Q(z²/81), or z/9 = ±1 where z²/81 ≥ 1 (tanh32InPlace),
// hh = ½ + ½·tanh z, GELU = y·hh and GELU′ = hh + y·(½ − ½·tanh²z)·(k +
// 3kc·y2). GELU512H clobbers Z1…Z8 and K2.
#define GELU512H \
	VMULPS Z0, Z0, Z1; \
	VMOVAPS Z12, Z2; \
	VFMADD231PS Z13, Z1, Z2; \
	VMULPS Z2, Z0, Z3; \
	VMAXPS Z3, Z28, Z3; \
	VMINPS Z3, Z29, Z3; \
	VMULPS Z3, Z3, Z4; \
	VMULPS Z15, Z4, Z4; \
	VMOVAPS Z22, Z5; \
	VFMADD213PS Z21, Z4, Z5; \
	VFMADD213PS Z20, Z4, Z5; \
	VFMADD213PS Z19, Z4, Z5; \
	VFMADD213PS Z18, Z4, Z5; \
	VFMADD213PS Z17, Z4, Z5; \
	VFMADD213PS Z16, Z4, Z5; \
	VMOVAPS Z25, Z6; \
	VFMADD213PS Z24, Z4, Z6; \
	VFMADD213PS Z23, Z4, Z6; \
	VFMADD213PS Z26, Z4, Z6; \
	VMULPS Z5, Z3, Z5; \
	VDIVPS Z6, Z5, Z5; \
	VCMPPS $0x1d, Z26, Z4, K2; \
	VMULPS.BCST C_INV9(R8), Z3, K2, Z5; \
	VMOVAPS Z27, Z7; \
	VFMADD231PS Z27, Z5, Z7; \
	VMULPS Z7, Z0, Z8

// GELUD512 follows GELU512H: Z9 = GELU′(y) from y (Z0), y² (Z1), tanh z
// (Z5) and ½ + ½·tanh z (Z7). Clobbers Z10, Z11.
#define GELUD512 \
	VMULPS Z27, Z5, Z10; \
	VMOVAPS Z27, Z9; \
	VFNMADD231PS Z5, Z10, Z9; \
	VMOVAPS Z12, Z11; \
	VFMADD231PS Z14, Z1, Z11; \
	VMULPS Z9, Z0, Z9; \
	VFMADD213PS Z7, Z11, Z9

// HSUM512 sums the 16 lanes of z into the low lane of x (y its 256-bit
// half), in a fixed order; clobbers Z10.
#define HSUM512(z, y, x) \
	VEXTRACTF64X4 $1, z, Y10; \
	VADDPS Y10, y, y; \
	VEXTRACTF128 $1, y, X10; \
	VADDPS X10, x, x; \
	VMOVHLPS x, x, X10; \
	VADDPS X10, x, x; \
	VMOVSHDUP x, X10; \
	VADDSS X10, x, x

// CLEANUP512 zeroes Z16…Z31 and then the upper halves of Z0…Z15
// (VZEROUPPER leaves Z16…Z31 alone): dirty upper state left behind would
// slow the Go code that follows, whose scalar and 128-bit operations
// would then carry false dependencies and the 512-bit frequency license.
#define CLEANUP512 \
	VPXORD X16, X16, X16; \
	VPXORD X17, X17, X17; \
	VPXORD X18, X18, X18; \
	VPXORD X19, X19, X19; \
	VPXORD X20, X20, X20; \
	VPXORD X21, X21, X21; \
	VPXORD X22, X22, X22; \
	VPXORD X23, X23, X23; \
	VPXORD X24, X24, X24; \
	VPXORD X25, X25, X25; \
	VPXORD X26, X26, X26; \
	VPXORD X27, X27, X27; \
	VPXORD X28, X28, X28; \
	VPXORD X29, X29, X29; \
	VPXORD X30, X30, X30; \
	VPXORD X31, X31, X31; \
	VZEROUPPER

// TAILMASK sets K1 to the first n mod 16 lanes (n in BX); clobbers AX, CX.
#define TAILMASK \
	MOVQ BX, CX; \
	ANDQ $15, CX; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// func lnGELUAVX512(h, gp, xhat, rstd, x, bias, gamma, beta *float32, rows, n int, c *vecConsts)
TEXT ·lnGELUAVX512(SB), NOSPLIT, $0-88
	MOVQ h+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ xhat+16(FP), R9
	MOVQ rstd+24(FP), R10
	MOVQ x+32(FP), DX
	MOVQ bias+40(FP), R11
	MOVQ gamma+48(FP), R12
	MOVQ beta+56(FP), R13
	MOVQ rows+64(FP), R14
	MOVQ n+72(FP), BX
	MOVQ c+80(FP), R8
	TESTQ R14, R14
	JZ   fwdDone
	GELUCONSTS
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX       // whole vectors
	MOVQ BX, R15
	ANDQ $~63, R15      // whole blocks of four vectors

fwdRow:
	// Pass 1: z = x + bias into xhat; Σz over four accumulators.
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX

fwdSum4:
	CMPQ AX, R15
	JAE  fwdSum1
	VMOVUPS (DX)(AX*4), Z4
	VMOVUPS 64(DX)(AX*4), Z5
	VMOVUPS 128(DX)(AX*4), Z6
	VMOVUPS 192(DX)(AX*4), Z7
	TESTQ R11, R11
	JZ   fwdSum4NoBias
	VADDPS (R11)(AX*4), Z4, Z4
	VADDPS 64(R11)(AX*4), Z5, Z5
	VADDPS 128(R11)(AX*4), Z6, Z6
	VADDPS 192(R11)(AX*4), Z7, Z7

fwdSum4NoBias:
	VMOVUPS Z4, (R9)(AX*4)
	VMOVUPS Z5, 64(R9)(AX*4)
	VMOVUPS Z6, 128(R9)(AX*4)
	VMOVUPS Z7, 192(R9)(AX*4)
	VADDPS  Z4, Z0, Z0
	VADDPS  Z5, Z1, Z1
	VADDPS  Z6, Z2, Z2
	VADDPS  Z7, Z3, Z3
	ADDQ $64, AX
	JMP  fwdSum4

fwdSum1:
	CMPQ AX, CX
	JAE  fwdSumTail
	VMOVUPS (DX)(AX*4), Z4
	TESTQ R11, R11
	JZ   fwdSum1NoBias
	VADDPS (R11)(AX*4), Z4, Z4

fwdSum1NoBias:
	VMOVUPS Z4, (R9)(AX*4)
	VADDPS  Z4, Z0, Z0
	ADDQ $16, AX
	JMP  fwdSum1

fwdSumTail:
	CMPQ AX, BX
	JAE  fwdMean
	VMOVUPS.Z (DX)(AX*4), K1, Z4
	TESTQ R11, R11
	JZ   fwdSumTailNoBias
	VMOVUPS.Z (R11)(AX*4), K1, Z5
	VADDPS Z5, Z4, Z4

fwdSumTailNoBias:
	VMOVUPS Z4, K1, (R9)(AX*4)
	VADDPS  Z4, Z0, Z0

fwdMean:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM512(Z0, Y0, X0)
	VCVTSI2SSQ BX, X1, X1
	VDIVSS X1, X0, X0
	VBROADCASTSS X0, Z30 // mean

	// Pass 2: Σ(z − mean)² over four accumulators.
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX

fwdVar4:
	CMPQ AX, R15
	JAE  fwdVar1
	VMOVUPS (R9)(AX*4), Z4
	VMOVUPS 64(R9)(AX*4), Z5
	VMOVUPS 128(R9)(AX*4), Z6
	VMOVUPS 192(R9)(AX*4), Z7
	VSUBPS Z30, Z4, Z4
	VSUBPS Z30, Z5, Z5
	VSUBPS Z30, Z6, Z6
	VSUBPS Z30, Z7, Z7
	VFMADD231PS Z4, Z4, Z0
	VFMADD231PS Z5, Z5, Z1
	VFMADD231PS Z6, Z6, Z2
	VFMADD231PS Z7, Z7, Z3
	ADDQ $64, AX
	JMP  fwdVar4

fwdVar1:
	CMPQ AX, CX
	JAE  fwdVarTail
	VMOVUPS (R9)(AX*4), Z4
	VSUBPS Z30, Z4, Z4
	VFMADD231PS Z4, Z4, Z0
	ADDQ $16, AX
	JMP  fwdVar1

fwdVarTail:
	CMPQ AX, BX
	JAE  fwdRstd
	VMOVUPS.Z (R9)(AX*4), K1, Z4
	VSUBPS.Z Z30, Z4, K1, Z4
	VFMADD231PS Z4, Z4, Z0

fwdRstd:
	// 1/σ = 1/√(Σc²/n + ε), the division by n in float32 and the rest in
	// float64, as the portable code does.
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM512(Z0, Y0, X0)
	VCVTSI2SSQ BX, X1, X1
	VDIVSS X1, X0, X0
	VCVTSS2SD X0, X0, X0
	VADDSD vecConsts_eps(R8), X0, X0
	VSQRTSD X0, X0, X0
	VMOVSD vecConsts_one(R8), X1
	VDIVSD X0, X1, X1
	VCVTSD2SS X1, X1, X1
	TESTQ SI, SI
	JZ   fwdNoRstd
	VMOVSS X1, (R10)

fwdNoRstd:
	VBROADCASTSS X1, Z31 // 1/σ

	// Pass 3: x̂ = (z − mean)/σ into xhat, y = γ⊙x̂ + β, GELU.
	XORQ AX, AX

fwdOut1:
	CMPQ AX, CX
	JAE  fwdOutTail
	VMOVUPS (R9)(AX*4), Z0
	VSUBPS Z30, Z0, Z0
	VMULPS Z31, Z0, Z0
	VMOVUPS Z0, (R9)(AX*4)
	VMOVUPS (R13)(AX*4), Z1
	VFMADD132PS (R12)(AX*4), Z1, Z0
	GELU512H
	VMOVUPS Z8, (DI)(AX*4)
	TESTQ SI, SI
	JZ   fwdOut1Next
	GELUD512
	VMOVUPS Z9, (SI)(AX*4)

fwdOut1Next:
	ADDQ $16, AX
	JMP  fwdOut1

fwdOutTail:
	CMPQ AX, BX
	JAE  fwdNext
	VMOVUPS.Z (R9)(AX*4), K1, Z0
	VSUBPS Z30, Z0, Z0
	VMULPS Z31, Z0, Z0
	VMOVUPS Z0, K1, (R9)(AX*4)
	VMOVUPS.Z (R13)(AX*4), K1, Z1
	VMOVUPS.Z (R12)(AX*4), K1, Z2
	VFMADD132PS Z2, Z1, Z0
	GELU512H
	VMOVUPS Z8, K1, (DI)(AX*4)
	TESTQ SI, SI
	JZ   fwdNext
	GELUD512
	VMOVUPS Z9, K1, (SI)(AX*4)

fwdNext:
	LEAQ (DI)(BX*4), DI
	LEAQ (R9)(BX*4), R9
	LEAQ (DX)(BX*4), DX
	TESTQ SI, SI
	JZ   fwdNextNoGp
	LEAQ (SI)(BX*4), SI
	ADDQ $4, R10

fwdNextNoGp:
	DECQ R14
	JNZ  fwdRow

fwdDone:
	CLEANUP512
	RET

// func lnGELUJVPAVX512(dy, dx, xhat, rstd, gp, gamma *float32, rows, p, n int, c *vecConsts)
TEXT ·lnGELUJVPAVX512(SB), NOSPLIT, $0-80
	MOVQ dy+0(FP), DI
	MOVQ dx+8(FP), SI
	MOVQ xhat+16(FP), R9
	MOVQ rstd+24(FP), R10
	MOVQ gp+32(FP), DX
	MOVQ gamma+40(FP), R12
	MOVQ rows+48(FP), R14
	MOVQ p+56(FP), R11
	MOVQ n+64(FP), BX
	MOVQ c+72(FP), R8
	TESTQ R14, R14
	JZ   jvpDone
	TESTQ R11, R11
	JZ   jvpDone
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX       // whole vectors
	MOVQ BX, R15
	ANDQ $~31, R15      // whole pairs of vectors

jvpRow:
	VBROADCASTSS (R10), Z31 // 1/σ
	MOVQ R11, R13

jvpTangent:
	// Pass 1: Σẋ, Σx̂ẋ, Σx̂ over two sets of accumulators.
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	XORQ AX, AX

jvpSum2:
	CMPQ AX, R15
	JAE  jvpSum1
	VMOVUPS (SI)(AX*4), Z6
	VMOVUPS 64(SI)(AX*4), Z7
	VMOVUPS (R9)(AX*4), Z8
	VMOVUPS 64(R9)(AX*4), Z9
	VADDPS Z6, Z0, Z0
	VADDPS Z7, Z3, Z3
	VFMADD231PS Z8, Z6, Z1
	VFMADD231PS Z9, Z7, Z4
	VADDPS Z8, Z2, Z2
	VADDPS Z9, Z5, Z5
	ADDQ $32, AX
	JMP  jvpSum2

jvpSum1:
	CMPQ AX, CX
	JAE  jvpSumTail
	VMOVUPS (SI)(AX*4), Z6
	VMOVUPS (R9)(AX*4), Z8
	VADDPS Z6, Z0, Z0
	VFMADD231PS Z8, Z6, Z1
	VADDPS Z8, Z2, Z2
	ADDQ $16, AX
	JMP  jvpSum1

jvpSumTail:
	CMPQ AX, BX
	JAE  jvpMeans
	VMOVUPS.Z (SI)(AX*4), K1, Z6
	VMOVUPS.Z (R9)(AX*4), K1, Z8
	VADDPS Z6, Z0, Z0
	VFMADD231PS Z8, Z6, Z1
	VADDPS Z8, Z2, Z2

jvpMeans:
	// mean ẋ = Σẋ/n, mean(x̂⊙ċ) = (Σx̂ẋ − mean ẋ·Σx̂)/n.
	VADDPS Z3, Z0, Z0
	VADDPS Z4, Z1, Z1
	VADDPS Z5, Z2, Z2
	HSUM512(Z0, Y0, X0)
	HSUM512(Z1, Y1, X1)
	HSUM512(Z2, Y2, X2)
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VMULSS X2, X0, X2
	VSUBSS X2, X1, X1
	VDIVSS X3, X1, X1
	VSUBSS X0, X0, X4    // 0, or NaN where mean ẋ is not finite: then the
	VADDSS X4, X1, X1    // row is NaN, as the portable two-pass code makes it
	VBROADCASTSS X0, Z29 // mean ẋ
	VBROADCASTSS X1, Z30 // mean(x̂⊙ċ)

	// Pass 2: dy = γ⊙(ẋ − mean ẋ − x̂·mean(x̂⊙ċ))·(1/σ)⊙gp.
	XORQ AX, AX

jvpOut1:
	CMPQ AX, CX
	JAE  jvpOutTail
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS Z29, Z0, Z0
	VFNMADD231PS (R9)(AX*4), Z30, Z0
	VMULPS (R12)(AX*4), Z0, Z0
	VMULPS Z31, Z0, Z0
	VMULPS (DX)(AX*4), Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  jvpOut1

jvpOutTail:
	CMPQ AX, BX
	JAE  jvpNextTangent
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS.Z (R9)(AX*4), K1, Z1
	VMOVUPS.Z (R12)(AX*4), K1, Z2
	VMOVUPS.Z (DX)(AX*4), K1, Z3
	VSUBPS Z29, Z0, Z0
	VFNMADD231PS Z1, Z30, Z0
	VMULPS Z2, Z0, Z0
	VMULPS Z31, Z0, Z0
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, K1, (DI)(AX*4)

jvpNextTangent:
	LEAQ (SI)(BX*4), SI
	LEAQ (DI)(BX*4), DI
	DECQ R13
	JNZ  jvpTangent
	LEAQ (R9)(BX*4), R9
	LEAQ (DX)(BX*4), DX
	ADDQ $4, R10
	DECQ R14
	JNZ  jvpRow

jvpDone:
	CLEANUP512
	RET

// func lnGELUBackwardAVX512(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma *float32, rows, n int, c *vecConsts)
TEXT ·lnGELUBackwardAVX512(SB), NOSPLIT, $0-88
	MOVQ dx+0(FP), DI
	MOVQ dgamma+8(FP), R11
	MOVQ dbeta+16(FP), R12
	MOVQ dh+24(FP), SI
	MOVQ xhat+32(FP), R9
	MOVQ rstd+40(FP), R10
	MOVQ gp+48(FP), DX
	MOVQ gamma+56(FP), R13
	MOVQ rows+64(FP), R14
	MOVQ n+72(FP), BX
	MOVQ c+80(FP), R8
	TESTQ R14, R14
	JZ   bwdDone
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX       // whole vectors
	MOVQ BX, R15
	ANDQ $~31, R15      // whole pairs of vectors

bwdRow:
	// Pass 1: g = gp⊙dh into dx, dγ += g⊙x̂, dβ += g, Σγg, Σγg⊙x̂.
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX

bwdSum2:
	CMPQ AX, R15
	JAE  bwdSum1
	VMOVUPS (DX)(AX*4), Z4
	VMOVUPS 64(DX)(AX*4), Z8
	VMULPS (SI)(AX*4), Z4, Z4
	VMULPS 64(SI)(AX*4), Z8, Z8
	VMOVUPS Z4, (DI)(AX*4)
	VMOVUPS Z8, 64(DI)(AX*4)
	VMOVUPS (R9)(AX*4), Z5
	VMOVUPS 64(R9)(AX*4), Z9
	VMOVUPS (R11)(AX*4), Z6
	VMOVUPS 64(R11)(AX*4), Z10
	VFMADD231PS Z5, Z4, Z6
	VFMADD231PS Z9, Z8, Z10
	VMOVUPS Z6, (R11)(AX*4)
	VMOVUPS Z10, 64(R11)(AX*4)
	VADDPS (R12)(AX*4), Z4, Z7
	VADDPS 64(R12)(AX*4), Z8, Z11
	VMOVUPS Z7, (R12)(AX*4)
	VMOVUPS Z11, 64(R12)(AX*4)
	VMULPS (R13)(AX*4), Z4, Z4
	VMULPS 64(R13)(AX*4), Z8, Z8
	VADDPS Z4, Z0, Z0
	VADDPS Z8, Z2, Z2
	VFMADD231PS Z5, Z4, Z1
	VFMADD231PS Z9, Z8, Z3
	ADDQ $32, AX
	JMP  bwdSum2

bwdSum1:
	CMPQ AX, CX
	JAE  bwdSumTail
	VMOVUPS (DX)(AX*4), Z4
	VMULPS (SI)(AX*4), Z4, Z4
	VMOVUPS Z4, (DI)(AX*4)
	VMOVUPS (R9)(AX*4), Z5
	VMOVUPS (R11)(AX*4), Z6
	VFMADD231PS Z5, Z4, Z6
	VMOVUPS Z6, (R11)(AX*4)
	VADDPS (R12)(AX*4), Z4, Z7
	VMOVUPS Z7, (R12)(AX*4)
	VMULPS (R13)(AX*4), Z4, Z4
	VADDPS Z4, Z0, Z0
	VFMADD231PS Z5, Z4, Z1
	ADDQ $16, AX
	JMP  bwdSum1

bwdSumTail:
	CMPQ AX, BX
	JAE  bwdMeans
	VMOVUPS.Z (DX)(AX*4), K1, Z4
	VMOVUPS.Z (SI)(AX*4), K1, Z8
	VMULPS Z8, Z4, Z4
	VMOVUPS Z4, K1, (DI)(AX*4)
	VMOVUPS.Z (R9)(AX*4), K1, Z5
	VMOVUPS.Z (R11)(AX*4), K1, Z6
	VFMADD231PS Z5, Z4, Z6
	VMOVUPS Z6, K1, (R11)(AX*4)
	VMOVUPS.Z (R12)(AX*4), K1, Z7
	VADDPS Z4, Z7, Z7
	VMOVUPS Z7, K1, (R12)(AX*4)
	VMOVUPS.Z (R13)(AX*4), K1, Z9
	VMULPS Z9, Z4, Z4
	VADDPS Z4, Z0, Z0
	VFMADD231PS Z5, Z4, Z1

bwdMeans:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	HSUM512(Z0, Y0, X0)
	HSUM512(Z1, Y1, X1)
	VCVTSI2SSQ BX, X2, X2
	VDIVSS X2, X0, X0
	VDIVSS X2, X1, X1
	VBROADCASTSS X0, Z29 // mean(γg)
	VBROADCASTSS X1, Z30 // mean(γg⊙x̂)
	VBROADCASTSS (R10), Z31 // 1/σ

	// Pass 2: dx = (γ⊙g − mean(γg) − x̂·mean(γg⊙x̂))·(1/σ).
	XORQ AX, AX

bwdOut1:
	CMPQ AX, CX
	JAE  bwdOutTail
	VMOVUPS (DI)(AX*4), Z0
	VMULPS (R13)(AX*4), Z0, Z0
	VSUBPS Z29, Z0, Z0
	VFNMADD231PS (R9)(AX*4), Z30, Z0
	VMULPS Z31, Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  bwdOut1

bwdOutTail:
	CMPQ AX, BX
	JAE  bwdNext
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	VMOVUPS.Z (R13)(AX*4), K1, Z1
	VMOVUPS.Z (R9)(AX*4), K1, Z2
	VMULPS Z1, Z0, Z0
	VSUBPS Z29, Z0, Z0
	VFNMADD231PS Z2, Z30, Z0
	VMULPS Z31, Z0, Z0
	VMOVUPS Z0, K1, (DI)(AX*4)

bwdNext:
	LEAQ (DI)(BX*4), DI
	LEAQ (SI)(BX*4), SI
	LEAQ (R9)(BX*4), R9
	LEAQ (DX)(BX*4), DX
	ADDQ $4, R10
	DECQ R14
	JNZ  bwdRow

bwdDone:
	CLEANUP512
	RET

// func geluAVX512(h, gp, x *float32, n int, c *vecConsts)
TEXT ·geluAVX512(SB), NOSPLIT, $0-40
	MOVQ h+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+32(FP), R8
	GELUCONSTS
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX

geluLoop:
	CMPQ AX, CX
	JAE  geluTail
	VMOVUPS (DX)(AX*4), Z0
	GELU512H
	VMOVUPS Z8, (DI)(AX*4)
	TESTQ SI, SI
	JZ   geluLoopNext
	GELUD512
	VMOVUPS Z9, (SI)(AX*4)

geluLoopNext:
	ADDQ $16, AX
	JMP  geluLoop

geluTail:
	CMPQ AX, BX
	JAE  geluDone
	VMOVUPS.Z (DX)(AX*4), K1, Z0
	GELU512H
	VMOVUPS Z8, K1, (DI)(AX*4)
	TESTQ SI, SI
	JZ   geluDone
	GELUD512
	VMOVUPS Z9, K1, (SI)(AX*4)

geluDone:
	CLEANUP512
	RET

// func mulAVX512(z, x, y *float32, n int, c *vecConsts)
TEXT ·mulAVX512(SB), NOSPLIT, $0-40
	MOVQ z+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), BX
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX

mulLoop:
	CMPQ AX, CX
	JAE  mulTail
	VMOVUPS (SI)(AX*4), Z0
	VMULPS (DX)(AX*4), Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  mulLoop

mulTail:
	CMPQ AX, BX
	JAE  mulDone
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS.Z (DX)(AX*4), K1, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)(AX*4)

mulDone:
	CLEANUP512
	RET

// ADAM512 is one Adam step on the lanes of the registers Z0 (g), Z1 (m),
// Z3 (v), Z7 (θ), the portable code's operations in its order:
// m' = β1·m + c1·g, v' = β2·v + (c2·g)·g, θ' = θ − (step·m')/(√v' + ε̂),
// leaving m' in Z1, v' in Z3, θ' in Z7. Constants in Z20…Z25.
#define ADAM512 \
	VMULPS Z20, Z1, Z1; \
	VMULPS Z22, Z0, Z2; \
	VADDPS Z2, Z1, Z1; \
	VMULPS Z21, Z3, Z3; \
	VMULPS Z23, Z0, Z4; \
	VMULPS Z0, Z4, Z4; \
	VADDPS Z4, Z3, Z3; \
	VSQRTPS Z3, Z5; \
	VADDPS Z25, Z5, Z5; \
	VMULPS Z24, Z1, Z6; \
	VDIVPS Z5, Z6, Z6; \
	VSUBPS Z6, Z7, Z7

// func adamAVX512(pDst, mDst, vDst, params, grad, m, v *float32, n int, step, epsHat, beta1, beta2, c1, c2 float32, c *vecConsts)
//
// Reads θ, g, m, v and writes θ', m', v' to the destinations, which may
// be the sources themselves (Adam in place).
TEXT ·adamAVX512(SB), NOSPLIT, $0-96
	MOVQ pDst+0(FP), R10
	MOVQ mDst+8(FP), R11
	MOVQ vDst+16(FP), R12
	MOVQ params+24(FP), DI
	MOVQ grad+32(FP), SI
	MOVQ m+40(FP), DX
	MOVQ v+48(FP), R9
	MOVQ n+56(FP), BX
	VBROADCASTSS beta1+72(FP), Z20
	VBROADCASTSS beta2+76(FP), Z21
	VBROADCASTSS c1+80(FP), Z22
	VBROADCASTSS c2+84(FP), Z23
	VBROADCASTSS step+64(FP), Z24
	VBROADCASTSS epsHat+68(FP), Z25
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX

adamLoop:
	CMPQ AX, CX
	JAE  adamTail
	VMOVUPS (SI)(AX*4), Z0
	VMOVUPS (DX)(AX*4), Z1
	VMOVUPS (R9)(AX*4), Z3
	VMOVUPS (DI)(AX*4), Z7
	ADAM512
	VMOVUPS Z1, (R11)(AX*4)
	VMOVUPS Z3, (R12)(AX*4)
	VMOVUPS Z7, (R10)(AX*4)
	ADDQ $16, AX
	JMP  adamLoop

adamTail:
	CMPQ AX, BX
	JAE  adamDone
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS.Z (DX)(AX*4), K1, Z1
	VMOVUPS.Z (R9)(AX*4), K1, Z3
	VMOVUPS.Z (DI)(AX*4), K1, Z7
	ADAM512
	VMOVUPS Z1, K1, (R11)(AX*4)
	VMOVUPS Z3, K1, (R12)(AX*4)
	VMOVUPS Z7, K1, (R10)(AX*4)

adamDone:
	CLEANUP512
	RET

// func polyakAVX512(dst, target, online *float32, n int, tau, keep float32, c *vecConsts)
TEXT ·polyakAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), R10
	MOVQ target+8(FP), DI
	MOVQ online+16(FP), SI
	MOVQ n+24(FP), BX
	VBROADCASTSS tau+32(FP), Z20
	VBROADCASTSS keep+36(FP), Z21
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX

polyakLoop:
	CMPQ AX, CX
	JAE  polyakTail
	VMULPS (SI)(AX*4), Z20, Z0
	VMULPS (DI)(AX*4), Z21, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, (R10)(AX*4)
	ADDQ $16, AX
	JMP  polyakLoop

polyakTail:
	CMPQ AX, BX
	JAE  polyakDone
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS.Z (DI)(AX*4), K1, Z1
	VMULPS Z20, Z0, Z0
	VMULPS Z21, Z1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (R10)(AX*4)

polyakDone:
	CLEANUP512
	RET

// func sumRowsAVX512(db, dy *float32, rows, n int, c *vecConsts)
//
// Column blocks of four vectors (then one, then the masked tail) held in
// registers while the rows are added in order.
TEXT ·sumRowsAVX512(SB), NOSPLIT, $0-40
	MOVQ db+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ rows+16(FP), R14
	MOVQ n+24(FP), BX
	TESTQ R14, R14
	JZ   sumDone
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	MOVQ BX, R15
	ANDQ $~63, R15
	LEAQ (BX*4), R13    // row stride in bytes
	XORQ AX, AX

sumBlock4:
	CMPQ AX, R15
	JAE  sumBlock1
	VMOVUPS (DI)(AX*4), Z0
	VMOVUPS 64(DI)(AX*4), Z1
	VMOVUPS 128(DI)(AX*4), Z2
	VMOVUPS 192(DI)(AX*4), Z3
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRows4:
	VADDPS (DX), Z0, Z0
	VADDPS 64(DX), Z1, Z1
	VADDPS 128(DX), Z2, Z2
	VADDPS 192(DX), Z3, Z3
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRows4
	VMOVUPS Z0, (DI)(AX*4)
	VMOVUPS Z1, 64(DI)(AX*4)
	VMOVUPS Z2, 128(DI)(AX*4)
	VMOVUPS Z3, 192(DI)(AX*4)
	ADDQ $64, AX
	JMP  sumBlock4

sumBlock1:
	CMPQ AX, CX
	JAE  sumTail
	VMOVUPS (DI)(AX*4), Z0
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRows1:
	VADDPS (DX), Z0, Z0
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRows1
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  sumBlock1

sumTail:
	CMPQ AX, BX
	JAE  sumDone
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRowsTail:
	VMOVUPS.Z (DX), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRowsTail
	VMOVUPS Z0, K1, (DI)(AX*4)

sumDone:
	CLEANUP512
	RET

// The column blocks of matVecAVX512, from one skeleton: MV512BLOCK runs
// blocks of cols columns (the accumulator groups ZERO … STORE of its
// width, the row's element broadcast in Z31) while at least cols columns
// remain, then goes on at next. The groups are of four vectors at byte
// offset o of w's row (R13) or y (R13): a…d += Z31·w[o…], a…d += y[o…],
// y[o…] = a…d.
#define MV512ZERO4(a, b, c, d) VPXORD a, a, a; VPXORD b, b, b; VPXORD c, c, c; VPXORD d, d, d
#define MV512FMA4(o, a, b, c, d) VFMADD231PS (o)(R13), Z31, a; VFMADD231PS (o+64)(R13), Z31, b; VFMADD231PS (o+128)(R13), Z31, c; VFMADD231PS (o+192)(R13), Z31, d
#define MV512ADD4(o, a, b, c, d) VADDPS (o)(R13), a, a; VADDPS (o+64)(R13), b, b; VADDPS (o+128)(R13), c, c; VADDPS (o+192)(R13), d, d
#define MV512STORE4(o, a, b, c, d) VMOVUPS a, (o)(R13); VMOVUPS b, (o+64)(R13); VMOVUPS c, (o+128)(R13); VMOVUPS d, (o+192)(R13)

#define MV512ZERO16 MV512ZERO4(Z0, Z1, Z2, Z3); MV512ZERO4(Z4, Z5, Z6, Z7); MV512ZERO4(Z8, Z9, Z10, Z11); MV512ZERO4(Z12, Z13, Z14, Z15)
#define MV512FMA16 MV512FMA4(0, Z0, Z1, Z2, Z3); MV512FMA4(256, Z4, Z5, Z6, Z7); MV512FMA4(512, Z8, Z9, Z10, Z11); MV512FMA4(768, Z12, Z13, Z14, Z15)
#define MV512ADD16 MV512ADD4(0, Z0, Z1, Z2, Z3); MV512ADD4(256, Z4, Z5, Z6, Z7); MV512ADD4(512, Z8, Z9, Z10, Z11); MV512ADD4(768, Z12, Z13, Z14, Z15)
#define MV512STORE16 MV512STORE4(0, Z0, Z1, Z2, Z3); MV512STORE4(256, Z4, Z5, Z6, Z7); MV512STORE4(512, Z8, Z9, Z10, Z11); MV512STORE4(768, Z12, Z13, Z14, Z15)
#define MV512ZERO8 MV512ZERO4(Z0, Z1, Z2, Z3); MV512ZERO4(Z4, Z5, Z6, Z7)
#define MV512FMA8 MV512FMA4(0, Z0, Z1, Z2, Z3); MV512FMA4(256, Z4, Z5, Z6, Z7)
#define MV512ADD8 MV512ADD4(0, Z0, Z1, Z2, Z3); MV512ADD4(256, Z4, Z5, Z6, Z7)
#define MV512STORE8 MV512STORE4(0, Z0, Z1, Z2, Z3); MV512STORE4(256, Z4, Z5, Z6, Z7)
#define MV512ZERO4V MV512ZERO4(Z0, Z1, Z2, Z3)
#define MV512FMA4V MV512FMA4(0, Z0, Z1, Z2, Z3)
#define MV512ADD4V MV512ADD4(0, Z0, Z1, Z2, Z3)
#define MV512STORE4V MV512STORE4(0, Z0, Z1, Z2, Z3)
#define MV512ZERO1 VPXORD Z0, Z0, Z0
#define MV512FMA1 VFMADD231PS (R13), Z31, Z0
#define MV512ADD1 VADDPS (R13), Z0, Z0
#define MV512STORE1 VMOVUPS Z0, (R13)

#define MV512BLOCK(cols, ZERO, FMA, ADD, STORE, block, row, store, next) \
block: \
	MOVQ BX, AX; \
	SUBQ CX, AX; \
	CMPQ AX, $cols; \
	JL   next; \
	ZERO; \
	MOVQ SI, R12; \
	LEAQ (DX)(CX*4), R13; \
	MOVQ R8, R14; \
row: \
	VBROADCASTSS (R12), Z31; \
	FMA; \
	ADDQ R10, R12; \
	ADDQ R11, R13; \
	DECQ R14; \
	JNZ  row; \
	LEAQ (DI)(CX*4), R13; \
	TESTQ R9, R9; \
	JZ   store; \
	ADD; \
store: \
	STORE; \
	ADDQ $cols, CX; \
	JMP  block

// func matVecAVX512(y, x, w *float32, k, n, incx, ldw, accumulate int, c *vecConsts)
//
// y_j = [y_j +] Σ_{i<k} x_{i·incx}·w_{i·ldw+j} for j < n: each y_j one chain
// of fused multiply-adds from 0 in index order, so the bits do not depend
// on the vector width. Column blocks of 16 vectors (256 columns: a
// 256-wide layer's rows stream contiguously), then of 8, of 4 (a 64-wide
// time embedding: four chains in flight rather than one), of one vector,
// then the masked tail; the rows of w stream through once per block.
TEXT ·matVecAVX512(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ k+24(FP), R8
	MOVQ n+32(FP), BX
	MOVQ incx+40(FP), R10
	SHLQ $2, R10
	MOVQ ldw+48(FP), R11
	SHLQ $2, R11
	MOVQ accumulate+56(FP), R9
	TAILMASK
	XORQ CX, CX

	MV512BLOCK(256, MV512ZERO16, MV512FMA16, MV512ADD16, MV512STORE16, mv512Block16, mv512Row16, mv512Store16, mv512Block8)
	MV512BLOCK(128, MV512ZERO8, MV512FMA8, MV512ADD8, MV512STORE8, mv512Block8, mv512Row8, mv512Store8, mv512Block4)
	MV512BLOCK(64, MV512ZERO4V, MV512FMA4V, MV512ADD4V, MV512STORE4V, mv512Block4, mv512Row4, mv512Store4, mv512Block1)
	MV512BLOCK(16, MV512ZERO1, MV512FMA1, MV512ADD1, MV512STORE1, mv512Block1, mv512Row1, mv512Store1, mv512Tail)

mv512Tail:
	TESTQ AX, AX
	JZ   mv512Done
	VPXORD Z0, Z0, Z0
	MOVQ SI, R12
	LEAQ (DX)(CX*4), R13
	MOVQ R8, R14

mv512RowTail:
	VBROADCASTSS (R12), Z16
	VMOVUPS.Z (R13), K1, Z1
	VFMADD231PS Z1, Z16, Z0
	ADDQ R10, R12
	ADDQ R11, R13
	DECQ R14
	JNZ  mv512RowTail
	LEAQ (DI)(CX*4), R13
	TESTQ R9, R9
	JZ   mv512StoreTail
	VMOVUPS.Z (R13), K1, Z1
	VADDPS Z1, Z0, Z0

mv512StoreTail:
	VMOVUPS Z0, K1, (R13)

mv512Done:
	CLEANUP512
	RET

// EXP512 is expShiftScalar's fast path on the lanes of Z0 (v = x − m),
// its operations in its order: t = v·log2e + magic, fn = t − magic,
// n = bits(t) − bits(magic), r = (v − fn·c1) − fn·c2, the polynomial by
// Estrin's scheme, and bits(y) + n<<23, into Z10. Constants in Z19…Z29.
#define EXP512 \
	VMULPS Z19, Z0, Z1; \
	VADDPS Z20, Z1, Z1; \
	VSUBPS Z20, Z1, Z2; \
	VPSUBD Z20, Z1, Z3; \
	VMULPS Z21, Z2, Z4; \
	VSUBPS Z4, Z0, Z5; \
	VMULPS Z22, Z2, Z4; \
	VSUBPS Z4, Z5, Z5; \
	VMULPS Z5, Z5, Z6; \
	VMULPS Z24, Z5, Z7; \
	VADDPS Z23, Z7, Z7; \
	VMULPS Z26, Z5, Z8; \
	VADDPS Z25, Z8, Z8; \
	VMULPS Z28, Z5, Z9; \
	VADDPS Z27, Z9, Z9; \
	VMULPS Z8, Z6, Z10; \
	VADDPS Z10, Z7, Z10; \
	VMULPS Z6, Z6, Z11; \
	VMULPS Z9, Z11, Z11; \
	VADDPS Z11, Z10, Z10; \
	VMULPS Z6, Z10, Z10; \
	VADDPS Z5, Z10, Z10; \
	VADDPS Z29, Z10, Z10; \
	VPSLLD $23, Z3, Z3; \
	VPADDD Z3, Z10, Z10

// func expShiftAVX512(x *float32, n int, m float32, c *vecConsts) int
//
// x_i = e^(x_i − m) by expShiftScalar's fast path, a vector at a time,
// while every lane of the vector has v = x_i − m in [lo, hi]; returns the
// count done (n, or the start of the first vector with a lane outside,
// which the caller computes with the scalar code).
TEXT ·expShiftAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), BX
	MOVQ c+24(FP), R8
	VBROADCASTSS m+16(FP), Z16
	VBROADCASTSS C_EXPLO(R8), Z17
	VBROADCASTSS C_EXPHI(R8), Z18
	VBROADCASTSS C_EXPLOG2E(R8), Z19
	VBROADCASTSS C_EXPMAGIC(R8), Z20
	VBROADCASTSS C_EXPC1(R8), Z21
	VBROADCASTSS C_EXPC2(R8), Z22
	VBROADCASTSS C_EXPE0(R8), Z23
	VBROADCASTSS C_EXPE1(R8), Z24
	VBROADCASTSS C_EXPE2(R8), Z25
	VBROADCASTSS C_EXPE3(R8), Z26
	VBROADCASTSS C_EXPE4(R8), Z27
	VBROADCASTSS C_EXPE5(R8), Z28
	VBROADCASTSS C_ONE(R8), Z29
	TAILMASK
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX

expLoop:
	CMPQ AX, CX
	JAE  expTail
	VMOVUPS (DI)(AX*4), Z0
	VSUBPS Z16, Z0, Z0
	VCMPPS $0x0d, Z17, Z0, K2
	VCMPPS $0x02, Z18, Z0, K2, K3
	KORTESTW K3, K3
	JNC  expOut
	EXP512
	VMOVUPS Z10, (DI)(AX*4)
	ADDQ $16, AX
	JMP  expLoop

expTail:
	CMPQ AX, BX
	JAE  expDone
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	VSUBPS Z16, Z0, Z0
	VCMPPS $0x0d, Z17, Z0, K1, K2
	VCMPPS $0x02, Z18, Z0, K2, K3
	KMOVW K1, R10
	KMOVW K3, R11
	CMPQ R10, R11
	JNE  expOut
	EXP512
	VMOVUPS Z10, K1, (DI)(AX*4)
	MOVQ BX, AX
	JMP  expDone

expOut:
	MOVQ AX, ret+32(FP)
	CLEANUP512
	RET

expDone:
	MOVQ AX, ret+32(FP)
	CLEANUP512
	RET

// SC is the byte offset of sinCos2Pi's constant i in vecConsts.
#define SC(i) (vecConsts_sc+(i)*32)

// func sinCos2PiAVX512(cos, sin, freq *float32, n int, t float64, c *vecConsts) int
//
// sinCos2Pi on 8 lanes of float64, its operations in its order: x = t·w,
// r = x − round(x) (to nearest even; a tie gives r = ±½, which both fold
// to +0 with sign −1 as math.Round's would), the fold past ±¼ turn under
// masks, y = 2π·r, the Horner chains, then float32 conversions.
TEXT ·sinCos2PiAVX512(SB), NOSPLIT, $0-56
	MOVQ cos+0(FP), DI
	MOVQ sin+8(FP), SI
	MOVQ freq+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+40(FP), R8
	VBROADCASTSD t+32(FP), Z20
	VBROADCASTSD SC(const_scQuarter)(R8), Z21
	VBROADCASTSD SC(const_scNegQuarter)(R8), Z22
	VBROADCASTSD SC(const_scHalf)(R8), Z23
	VBROADCASTSD SC(const_scNegHalf)(R8), Z24
	VBROADCASTSD SC(const_scTwoPi)(R8), Z25
	VBROADCASTSD SC(const_scOne)(R8), Z26
	VBROADCASTSD SC(const_scNegOne)(R8), Z27
	VBROADCASTSD SC(const_scS1)(R8), Z8
	VBROADCASTSD SC(const_scS2)(R8), Z9
	VBROADCASTSD SC(const_scS3)(R8), Z10
	VBROADCASTSD SC(const_scS4)(R8), Z11
	VBROADCASTSD SC(const_scS5)(R8), Z12
	VBROADCASTSD SC(const_scS6)(R8), Z13
	VBROADCASTSD SC(const_scC1)(R8), Z14
	VBROADCASTSD SC(const_scC2)(R8), Z15
	VBROADCASTSD SC(const_scC3)(R8), Z16
	VBROADCASTSD SC(const_scC4)(R8), Z17
	VBROADCASTSD SC(const_scC5)(R8), Z18
	VBROADCASTSD SC(const_scC6)(R8), Z19
	VBROADCASTSD SC(const_scC7)(R8), Z28
	ANDQ $~7, BX
	XORQ AX, AX

scLoop512:
	CMPQ AX, BX
	JAE  scDone512
	VCVTPS2PD (DX)(AX*4), Z0
	VMULPD Z0, Z20, Z0          // x = t·w
	VRNDSCALEPD $0, Z0, Z1
	VSUBPD Z1, Z0, Z0           // r = x − round(x)
	VCMPPD $0x1e, Z21, Z0, K2   // r > ¼
	VCMPPD $0x11, Z22, Z0, K3   // r < −¼
	VSUBPD Z0, Z23, K2, Z0      // ½ − r
	VSUBPD Z0, Z24, K3, Z0      // −½ − r
	KORW K2, K3, K4
	VMOVAPD Z26, Z2
	VMOVAPD Z27, K4, Z2         // sign
	VMULPD Z25, Z0, Z3          // y = 2π·r
	VMULPD Z3, Z3, Z4           // z = y²
	VMULPD Z13, Z4, Z5
	VADDPD Z12, Z5, Z5
	VMULPD Z4, Z5, Z5
	VADDPD Z11, Z5, Z5
	VMULPD Z4, Z5, Z5
	VADDPD Z10, Z5, Z5
	VMULPD Z4, Z5, Z5
	VADDPD Z9, Z5, Z5
	VMULPD Z4, Z5, Z5
	VADDPD Z8, Z5, Z5
	VMULPD Z4, Z5, Z5
	VADDPD Z26, Z5, Z5
	VMULPD Z3, Z5, Z5           // sin
	VMULPD Z28, Z4, Z6
	VADDPD Z19, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z18, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z17, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z16, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z15, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z14, Z6, Z6
	VMULPD Z4, Z6, Z6
	VADDPD Z26, Z6, Z6
	VMULPD Z2, Z6, Z6           // cos
	VCVTPD2PS Z6, Y6
	VMOVUPS Y6, (DI)(AX*4)
	VCVTPD2PS Z5, Y5
	VMOVUPS Y5, (SI)(AX*4)
	ADDQ $8, AX
	JMP  scLoop512

scDone512:
	MOVQ AX, ret+48(FP)
	CLEANUP512
	RET

// The product kernel (gemm.go): one tile of 12 rows by 32 columns of C,
// 24 accumulators (Z0…Z23, row r in Z2r and Z2r+1), B's 32 columns (a
// packed sliver, or B in place) in Z24 and Z25 a row at a time, A's element of the row
// broadcast in Z26 or Z27. Each element of C is one chain of fused
// multiply-adds over k in order from 0, then [+ C]: the one-row
// kernel's arithmetic.
#define GEMMROW(addr, t, z0, z1) VBROADCASTSS addr, t; VFMADD231PS Z24, t, z0; VFMADD231PS Z25, t, z1
#define GEMMSTORE(z0, z1) VMOVUPS z0, K2, (DI); VMOVUPS z1, K3, 64(DI)
#define GEMMADD(z0, z1) VMOVUPS.Z (DI), K2, Z26; VADDPS Z26, z0, z0; VMOVUPS z0, K2, (DI); VMOVUPS.Z 64(DI), K3, Z27; VADDPS Z27, z1, z1; VMOVUPS z1, K3, 64(DI)

// func gemmTileAVX512(a, b, c *float32, k, lda, ldb, ldc, rows, transA, accumulate, masks int)
//
// C[r][j] = [C[r][j] +] Σ_{i<k} A(r, i)·B[i][j] for r < rows and the
// columns j of masks (bits 0…15 the first vector's, 16…31 the second's),
// with A(r, i) at a[r·lda + i] (transA 0) or a[i·lda + r] (transA 1) for
// r < 12, all of them readable, and B[i] at b[ldb·i …] (32 readable).
TEXT ·gemmTileAVX512(SB), NOSPLIT, $0-88
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ k+24(FP), CX
	MOVQ lda+32(FP), R9
	SHLQ $2, R9
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	MOVQ transA+64(FP), AX
	TESTQ AX, AX
	JNZ  gemmTN512
	LEAQ (R9)(R9*2), R10   // 3·lda
	LEAQ (SI)(R9*4), R11   // row 4
	LEAQ (R11)(R9*4), R12  // row 8

gemmNN512:
	VMOVUPS (DX), Z24
	VMOVUPS 64(DX), Z25
	GEMMROW((SI), Z26, Z0, Z1)
	GEMMROW((SI)(R9*1), Z27, Z2, Z3)
	GEMMROW((SI)(R9*2), Z26, Z4, Z5)
	GEMMROW((SI)(R10*1), Z27, Z6, Z7)
	GEMMROW((R11), Z26, Z8, Z9)
	GEMMROW((R11)(R9*1), Z27, Z10, Z11)
	GEMMROW((R11)(R9*2), Z26, Z12, Z13)
	GEMMROW((R11)(R10*1), Z27, Z14, Z15)
	GEMMROW((R12), Z26, Z16, Z17)
	GEMMROW((R12)(R9*1), Z27, Z18, Z19)
	GEMMROW((R12)(R9*2), Z26, Z20, Z21)
	GEMMROW((R12)(R10*1), Z27, Z22, Z23)
	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ R13, DX
	DECQ CX
	JNZ  gemmNN512
	JMP  gemmStore512

gemmTN512:
	VMOVUPS (DX), Z24
	VMOVUPS 64(DX), Z25
	GEMMROW(0(SI), Z26, Z0, Z1)
	GEMMROW(4(SI), Z27, Z2, Z3)
	GEMMROW(8(SI), Z26, Z4, Z5)
	GEMMROW(12(SI), Z27, Z6, Z7)
	GEMMROW(16(SI), Z26, Z8, Z9)
	GEMMROW(20(SI), Z27, Z10, Z11)
	GEMMROW(24(SI), Z26, Z12, Z13)
	GEMMROW(28(SI), Z27, Z14, Z15)
	GEMMROW(32(SI), Z26, Z16, Z17)
	GEMMROW(36(SI), Z27, Z18, Z19)
	GEMMROW(40(SI), Z26, Z20, Z21)
	GEMMROW(44(SI), Z27, Z22, Z23)
	ADDQ R9, SI
	ADDQ R13, DX
	DECQ CX
	JNZ  gemmTN512

gemmStore512:
	MOVQ c+16(FP), DI
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	MOVQ rows+56(FP), BX
	MOVQ masks+80(FP), AX
	KMOVW AX, K2
	SHRQ $16, AX
	KMOVW AX, K3
	MOVQ accumulate+72(FP), AX
	TESTQ AX, AX
	JNZ  gemmAdd512
	GEMMSTORE(Z0, Z1)
	CMPQ BX, $1
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z2, Z3)
	CMPQ BX, $2
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z4, Z5)
	CMPQ BX, $3
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z6, Z7)
	CMPQ BX, $4
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z8, Z9)
	CMPQ BX, $5
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z10, Z11)
	CMPQ BX, $6
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z12, Z13)
	CMPQ BX, $7
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z14, Z15)
	CMPQ BX, $8
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z16, Z17)
	CMPQ BX, $9
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z18, Z19)
	CMPQ BX, $10
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z20, Z21)
	CMPQ BX, $11
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMSTORE(Z22, Z23)
	JMP  gemmDone512

gemmAdd512:
	GEMMADD(Z0, Z1)
	CMPQ BX, $1
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z2, Z3)
	CMPQ BX, $2
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z4, Z5)
	CMPQ BX, $3
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z6, Z7)
	CMPQ BX, $4
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z8, Z9)
	CMPQ BX, $5
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z10, Z11)
	CMPQ BX, $6
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z12, Z13)
	CMPQ BX, $7
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z14, Z15)
	CMPQ BX, $8
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z16, Z17)
	CMPQ BX, $9
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z18, Z19)
	CMPQ BX, $10
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z20, Z21)
	CMPQ BX, $11
	JEQ  gemmDone512
	ADDQ R8, DI
	GEMMADD(Z22, Z23)

gemmDone512:
	CLEANUP512
	RET
