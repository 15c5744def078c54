//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// AVX2+FMA kernels, 8 float32 lanes (see kernels_amd64.go for what each
// computes): the AVX-512 kernels' algorithms (kernels_avx512_amd64.s) on
// 256-bit registers, the GELU constants read as memory operands, and the
// row tails through VMASKMOVPS (masked-off lanes read as zero and are not
// written), so an element's result depends neither on its position nor
// on the row count.

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

// GELU256H sets Y8 = GELU(y) for y in Y0 and GELUD256 after it Y9 =
// GELU′(y) (as GELU512H, GELUD512), with −9 and 9 in Y14, Y15 and the
// other constants read from R8. GELU256H clobbers Y1…Y8, Y10, Y11.
#define GELU256H \
	VMULPS Y0, Y0, Y1; \
	VMOVUPS C_K(R8), Y2; \
	VFMADD231PS C_KC(R8), Y1, Y2; \
	VMULPS Y2, Y0, Y3; \
	VMAXPS Y3, Y14, Y3; \
	VMINPS Y3, Y15, Y3; \
	VMULPS Y3, Y3, Y4; \
	VMULPS C_INV81(R8), Y4, Y4; \
	VMOVUPS C_P6(R8), Y5; \
	VFMADD213PS C_P5(R8), Y4, Y5; \
	VFMADD213PS C_P4(R8), Y4, Y5; \
	VFMADD213PS C_P3(R8), Y4, Y5; \
	VFMADD213PS C_P2(R8), Y4, Y5; \
	VFMADD213PS C_P1(R8), Y4, Y5; \
	VFMADD213PS C_P0(R8), Y4, Y5; \
	VMOVUPS C_Q2(R8), Y6; \
	VFMADD213PS C_Q1(R8), Y4, Y6; \
	VFMADD213PS C_Q0(R8), Y4, Y6; \
	VFMADD213PS C_ONE(R8), Y4, Y6; \
	VMULPS Y5, Y3, Y5; \
	VDIVPS Y6, Y5, Y5; \
	VCMPPS $0x1d, C_ONE(R8), Y4, Y10; \
	VMULPS C_INV9(R8), Y3, Y11; \
	VBLENDVPS Y10, Y11, Y5, Y5; \
	VMOVUPS C_HALF(R8), Y7; \
	VFMADD231PS C_HALF(R8), Y5, Y7; \
	VMULPS Y7, Y0, Y8

// GELUD256 follows GELU256H: Y9 = GELU′(y) (as GELUD512). Clobbers Y10,
// Y11.
#define GELUD256 \
	VMULPS C_HALF(R8), Y5, Y10; \
	VMOVUPS C_HALF(R8), Y9; \
	VFNMADD231PS Y5, Y10, Y9; \
	VMOVUPS C_K(R8), Y11; \
	VFMADD231PS C_K3C(R8), Y1, Y11; \
	VMULPS Y9, Y0, Y9; \
	VFMADD213PS Y7, Y11, Y9

// HSUM256 sums the 8 lanes of y into the low lane of x, in a fixed
// order; clobbers Y10.
#define HSUM256(y, x) \
	VEXTRACTF128 $1, y, X10; \
	VADDPS X10, x, x; \
	VMOVHLPS x, x, X10; \
	VADDPS X10, x, x; \
	VMOVSHDUP x, X10; \
	VADDSS X10, x, x

// LOADMASK loads into y the mask of the first n mod 8 lanes (n in BX)
// from vecConsts.mask (R8); clobbers R15.
#define LOADMASK(y) \
	MOVQ BX, R15; \
	ANDQ $7, R15; \
	NEGQ R15; \
	VMOVUPS (vecConsts_mask+32)(R8)(R15*4), y

// func lnGELUAVX2(h, gp, xhat, rstd, x, bias, gamma, beta *float32, rows, n int, c *vecConsts)
TEXT ·lnGELUAVX2(SB), NOSPLIT, $0-88
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
	VMOVUPS C_NEG9(R8), Y14
	VMOVUPS C_POS9(R8), Y15
	MOVQ BX, CX
	ANDQ $~7, CX        // whole vectors

fwdRow:
	// Pass 1: z = x + bias into xhat; Σz over four accumulators.
	MOVQ BX, R15
	ANDQ $~31, R15      // whole blocks of four vectors
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

fwdSum4:
	CMPQ AX, R15
	JAE  fwdSum1
	VMOVUPS (DX)(AX*4), Y4
	VMOVUPS 32(DX)(AX*4), Y5
	VMOVUPS 64(DX)(AX*4), Y6
	VMOVUPS 96(DX)(AX*4), Y7
	TESTQ R11, R11
	JZ   fwdSum4NoBias
	VADDPS (R11)(AX*4), Y4, Y4
	VADDPS 32(R11)(AX*4), Y5, Y5
	VADDPS 64(R11)(AX*4), Y6, Y6
	VADDPS 96(R11)(AX*4), Y7, Y7

fwdSum4NoBias:
	VMOVUPS Y4, (R9)(AX*4)
	VMOVUPS Y5, 32(R9)(AX*4)
	VMOVUPS Y6, 64(R9)(AX*4)
	VMOVUPS Y7, 96(R9)(AX*4)
	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	ADDQ $32, AX
	JMP  fwdSum4

fwdSum1:
	CMPQ AX, CX
	JAE  fwdSumTail
	VMOVUPS (DX)(AX*4), Y4
	TESTQ R11, R11
	JZ   fwdSum1NoBias
	VADDPS (R11)(AX*4), Y4, Y4

fwdSum1NoBias:
	VMOVUPS Y4, (R9)(AX*4)
	VADDPS  Y4, Y0, Y0
	ADDQ $8, AX
	JMP  fwdSum1

fwdSumTail:
	CMPQ AX, BX
	JAE  fwdMean
	LOADMASK(Y8)
	VMASKMOVPS (DX)(AX*4), Y8, Y4
	TESTQ R11, R11
	JZ   fwdSumTailNoBias
	VMASKMOVPS (R11)(AX*4), Y8, Y5
	VADDPS Y5, Y4, Y4

fwdSumTailNoBias:
	VMASKMOVPS Y4, Y8, (R9)(AX*4)
	VADDPS  Y4, Y0, Y0

fwdMean:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM256(Y0, X0)
	VCVTSI2SSQ BX, X1, X1
	VDIVSS X1, X0, X0
	VBROADCASTSS X0, Y12 // mean

	// Pass 2: Σ(z − mean)² over four accumulators.
	MOVQ BX, R15
	ANDQ $~31, R15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

fwdVar4:
	CMPQ AX, R15
	JAE  fwdVar1
	VMOVUPS (R9)(AX*4), Y4
	VMOVUPS 32(R9)(AX*4), Y5
	VMOVUPS 64(R9)(AX*4), Y6
	VMOVUPS 96(R9)(AX*4), Y7
	VSUBPS Y12, Y4, Y4
	VSUBPS Y12, Y5, Y5
	VSUBPS Y12, Y6, Y6
	VSUBPS Y12, Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $32, AX
	JMP  fwdVar4

fwdVar1:
	CMPQ AX, CX
	JAE  fwdVarTail
	VMOVUPS (R9)(AX*4), Y4
	VSUBPS Y12, Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $8, AX
	JMP  fwdVar1

fwdVarTail:
	CMPQ AX, BX
	JAE  fwdRstd
	LOADMASK(Y8)
	VMASKMOVPS (R9)(AX*4), Y8, Y4
	VSUBPS Y12, Y4, Y4
	VANDPS Y8, Y4, Y4
	VFMADD231PS Y4, Y4, Y0

fwdRstd:
	// 1/σ = 1/√(Σc²/n + ε), the division by n in float32 and the rest in
	// float64, as the portable code does.
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM256(Y0, X0)
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
	VBROADCASTSS X1, Y13 // 1/σ

	// Pass 3: x̂ = (z − mean)/σ into xhat, y = γ⊙x̂ + β, GELU.
	XORQ AX, AX

fwdOut1:
	CMPQ AX, CX
	JAE  fwdOutTail
	VMOVUPS (R9)(AX*4), Y0
	VSUBPS Y12, Y0, Y0
	VMULPS Y13, Y0, Y0
	VMOVUPS Y0, (R9)(AX*4)
	VMOVUPS (R13)(AX*4), Y1
	VFMADD132PS (R12)(AX*4), Y1, Y0
	GELU256H
	VMOVUPS Y8, (DI)(AX*4)
	TESTQ SI, SI
	JZ   fwdOut1Next
	GELUD256
	VMOVUPS Y9, (SI)(AX*4)

fwdOut1Next:
	ADDQ $8, AX
	JMP  fwdOut1

fwdOutTail:
	CMPQ AX, BX
	JAE  fwdNext
	LOADMASK(Y10)
	VMASKMOVPS (R9)(AX*4), Y10, Y0
	VSUBPS Y12, Y0, Y0
	VMULPS Y13, Y0, Y0
	VMASKMOVPS Y0, Y10, (R9)(AX*4)
	VMASKMOVPS (R13)(AX*4), Y10, Y1
	VMASKMOVPS (R12)(AX*4), Y10, Y2
	VFMADD132PS Y2, Y1, Y0
	GELU256H
	LOADMASK(Y10)
	VMASKMOVPS Y8, Y10, (DI)(AX*4)
	TESTQ SI, SI
	JZ   fwdNext
	GELUD256
	LOADMASK(Y10)
	VMASKMOVPS Y9, Y10, (SI)(AX*4)

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
	VZEROUPPER
	RET

// func lnGELUJVPAVX2(dy, dx, xhat, rstd, gp, gamma *float32, rows, p, n int, c *vecConsts)
TEXT ·lnGELUJVPAVX2(SB), NOSPLIT, $0-80
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
	MOVQ BX, CX
	ANDQ $~7, CX        // whole vectors

jvpRow:
	VBROADCASTSS (R10), Y15 // 1/σ
	MOVQ R11, R13

jvpTangent:
	// Pass 1: Σẋ, Σx̂ẋ, Σx̂ over two sets of accumulators.
	MOVQ BX, R15
	ANDQ $~15, R15      // whole pairs of vectors
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	XORQ AX, AX

jvpSum2:
	CMPQ AX, R15
	JAE  jvpSum1
	VMOVUPS (SI)(AX*4), Y6
	VMOVUPS 32(SI)(AX*4), Y7
	VMOVUPS (R9)(AX*4), Y8
	VMOVUPS 32(R9)(AX*4), Y9
	VADDPS Y6, Y0, Y0
	VADDPS Y7, Y3, Y3
	VFMADD231PS Y8, Y6, Y1
	VFMADD231PS Y9, Y7, Y4
	VADDPS Y8, Y2, Y2
	VADDPS Y9, Y5, Y5
	ADDQ $16, AX
	JMP  jvpSum2

jvpSum1:
	CMPQ AX, CX
	JAE  jvpSumTail
	VMOVUPS (SI)(AX*4), Y6
	VMOVUPS (R9)(AX*4), Y8
	VADDPS Y6, Y0, Y0
	VFMADD231PS Y8, Y6, Y1
	VADDPS Y8, Y2, Y2
	ADDQ $8, AX
	JMP  jvpSum1

jvpSumTail:
	CMPQ AX, BX
	JAE  jvpMeans
	LOADMASK(Y12)
	VMASKMOVPS (SI)(AX*4), Y12, Y6
	VMASKMOVPS (R9)(AX*4), Y12, Y8
	VADDPS Y6, Y0, Y0
	VFMADD231PS Y8, Y6, Y1
	VADDPS Y8, Y2, Y2

jvpMeans:
	// mean ẋ = Σẋ/n, mean(x̂⊙ċ) = (Σx̂ẋ − mean ẋ·Σx̂)/n.
	VADDPS Y3, Y0, Y0
	VADDPS Y4, Y1, Y1
	VADDPS Y5, Y2, Y2
	HSUM256(Y0, X0)
	HSUM256(Y1, X1)
	HSUM256(Y2, X2)
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VMULSS X2, X0, X2
	VSUBSS X2, X1, X1
	VDIVSS X3, X1, X1
	VSUBSS X0, X0, X4    // 0, or NaN where mean ẋ is not finite: then the
	VADDSS X4, X1, X1    // row is NaN, as the portable two-pass code makes it
	VBROADCASTSS X0, Y13 // mean ẋ
	VBROADCASTSS X1, Y14 // mean(x̂⊙ċ)

	// Pass 2: dy = γ⊙(ẋ − mean ẋ − x̂·mean(x̂⊙ċ))·(1/σ)⊙gp.
	XORQ AX, AX

jvpOut1:
	CMPQ AX, CX
	JAE  jvpOutTail
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS Y13, Y0, Y0
	VFNMADD231PS (R9)(AX*4), Y14, Y0
	VMULPS (R12)(AX*4), Y0, Y0
	VMULPS Y15, Y0, Y0
	VMULPS (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  jvpOut1

jvpOutTail:
	CMPQ AX, BX
	JAE  jvpNextTangent
	LOADMASK(Y12)
	VMASKMOVPS (SI)(AX*4), Y12, Y0
	VMASKMOVPS (R9)(AX*4), Y12, Y1
	VMASKMOVPS (R12)(AX*4), Y12, Y2
	VMASKMOVPS (DX)(AX*4), Y12, Y3
	VSUBPS Y13, Y0, Y0
	VFNMADD231PS Y1, Y14, Y0
	VMULPS Y2, Y0, Y0
	VMULPS Y15, Y0, Y0
	VMULPS Y3, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)(AX*4)

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
	VZEROUPPER
	RET

// func lnGELUBackwardAVX2(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma *float32, rows, n int, c *vecConsts)
TEXT ·lnGELUBackwardAVX2(SB), NOSPLIT, $0-88
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
	MOVQ BX, CX
	ANDQ $~7, CX        // whole vectors

bwdRow:
	// Pass 1: g = gp⊙dh into dx, dγ += g⊙x̂, dβ += g, Σγg, Σγg⊙x̂.
	MOVQ BX, R15
	ANDQ $~15, R15      // whole pairs of vectors
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

bwdSum2:
	CMPQ AX, R15
	JAE  bwdSum1
	VMOVUPS (DX)(AX*4), Y4
	VMOVUPS 32(DX)(AX*4), Y8
	VMULPS (SI)(AX*4), Y4, Y4
	VMULPS 32(SI)(AX*4), Y8, Y8
	VMOVUPS Y4, (DI)(AX*4)
	VMOVUPS Y8, 32(DI)(AX*4)
	VMOVUPS (R9)(AX*4), Y5
	VMOVUPS 32(R9)(AX*4), Y9
	VMOVUPS (R11)(AX*4), Y6
	VMOVUPS 32(R11)(AX*4), Y10
	VFMADD231PS Y5, Y4, Y6
	VFMADD231PS Y9, Y8, Y10
	VMOVUPS Y6, (R11)(AX*4)
	VMOVUPS Y10, 32(R11)(AX*4)
	VADDPS (R12)(AX*4), Y4, Y7
	VADDPS 32(R12)(AX*4), Y8, Y11
	VMOVUPS Y7, (R12)(AX*4)
	VMOVUPS Y11, 32(R12)(AX*4)
	VMULPS (R13)(AX*4), Y4, Y4
	VMULPS 32(R13)(AX*4), Y8, Y8
	VADDPS Y4, Y0, Y0
	VADDPS Y8, Y2, Y2
	VFMADD231PS Y5, Y4, Y1
	VFMADD231PS Y9, Y8, Y3
	ADDQ $16, AX
	JMP  bwdSum2

bwdSum1:
	CMPQ AX, CX
	JAE  bwdSumTail
	VMOVUPS (DX)(AX*4), Y4
	VMULPS (SI)(AX*4), Y4, Y4
	VMOVUPS Y4, (DI)(AX*4)
	VMOVUPS (R9)(AX*4), Y5
	VMOVUPS (R11)(AX*4), Y6
	VFMADD231PS Y5, Y4, Y6
	VMOVUPS Y6, (R11)(AX*4)
	VADDPS (R12)(AX*4), Y4, Y7
	VMOVUPS Y7, (R12)(AX*4)
	VMULPS (R13)(AX*4), Y4, Y4
	VADDPS Y4, Y0, Y0
	VFMADD231PS Y5, Y4, Y1
	ADDQ $8, AX
	JMP  bwdSum1

bwdSumTail:
	CMPQ AX, BX
	JAE  bwdMeans
	LOADMASK(Y12)
	VMASKMOVPS (DX)(AX*4), Y12, Y4
	VMASKMOVPS (SI)(AX*4), Y12, Y8
	VMULPS Y8, Y4, Y4
	VMASKMOVPS Y4, Y12, (DI)(AX*4)
	VMASKMOVPS (R9)(AX*4), Y12, Y5
	VMASKMOVPS (R11)(AX*4), Y12, Y6
	VFMADD231PS Y5, Y4, Y6
	VMASKMOVPS Y6, Y12, (R11)(AX*4)
	VMASKMOVPS (R12)(AX*4), Y12, Y7
	VADDPS Y4, Y7, Y7
	VMASKMOVPS Y7, Y12, (R12)(AX*4)
	VMASKMOVPS (R13)(AX*4), Y12, Y9
	VMULPS Y9, Y4, Y4
	VADDPS Y4, Y0, Y0
	VFMADD231PS Y5, Y4, Y1

bwdMeans:
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	HSUM256(Y0, X0)
	HSUM256(Y1, X1)
	VCVTSI2SSQ BX, X2, X2
	VDIVSS X2, X0, X0
	VDIVSS X2, X1, X1
	VBROADCASTSS X0, Y13 // mean(γg)
	VBROADCASTSS X1, Y14 // mean(γg⊙x̂)
	VBROADCASTSS (R10), Y15 // 1/σ

	// Pass 2: dx = (γ⊙g − mean(γg) − x̂·mean(γg⊙x̂))·(1/σ).
	XORQ AX, AX

bwdOut1:
	CMPQ AX, CX
	JAE  bwdOutTail
	VMOVUPS (DI)(AX*4), Y0
	VMULPS (R13)(AX*4), Y0, Y0
	VSUBPS Y13, Y0, Y0
	VFNMADD231PS (R9)(AX*4), Y14, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  bwdOut1

bwdOutTail:
	CMPQ AX, BX
	JAE  bwdNext
	LOADMASK(Y12)
	VMASKMOVPS (DI)(AX*4), Y12, Y0
	VMASKMOVPS (R13)(AX*4), Y12, Y1
	VMASKMOVPS (R9)(AX*4), Y12, Y2
	VMULPS Y1, Y0, Y0
	VSUBPS Y13, Y0, Y0
	VFNMADD231PS Y2, Y14, Y0
	VMULPS Y15, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)(AX*4)

bwdNext:
	LEAQ (DI)(BX*4), DI
	LEAQ (SI)(BX*4), SI
	LEAQ (R9)(BX*4), R9
	LEAQ (DX)(BX*4), DX
	ADDQ $4, R10
	DECQ R14
	JNZ  bwdRow

bwdDone:
	VZEROUPPER
	RET

// func geluAVX2(h, gp, x *float32, n int, c *vecConsts)
TEXT ·geluAVX2(SB), NOSPLIT, $0-40
	MOVQ h+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+32(FP), R8
	VMOVUPS C_NEG9(R8), Y14
	VMOVUPS C_POS9(R8), Y15
	MOVQ BX, CX
	ANDQ $~7, CX
	XORQ AX, AX

geluLoop:
	CMPQ AX, CX
	JAE  geluTail
	VMOVUPS (DX)(AX*4), Y0
	GELU256H
	VMOVUPS Y8, (DI)(AX*4)
	TESTQ SI, SI
	JZ   geluLoopNext
	GELUD256
	VMOVUPS Y9, (SI)(AX*4)

geluLoopNext:
	ADDQ $8, AX
	JMP  geluLoop

geluTail:
	CMPQ AX, BX
	JAE  geluDone
	LOADMASK(Y12)
	VMASKMOVPS (DX)(AX*4), Y12, Y0
	GELU256H
	VMASKMOVPS Y8, Y12, (DI)(AX*4)
	TESTQ SI, SI
	JZ   geluDone
	GELUD256
	VMASKMOVPS Y9, Y12, (SI)(AX*4)

geluDone:
	VZEROUPPER
	RET

// func mulAVX2(z, x, y *float32, n int, c *vecConsts)
TEXT ·mulAVX2(SB), NOSPLIT, $0-40
	MOVQ z+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+32(FP), R8
	MOVQ BX, CX
	ANDQ $~7, CX
	XORQ AX, AX

mulLoop:
	CMPQ AX, CX
	JAE  mulTail
	VMOVUPS (SI)(AX*4), Y0
	VMULPS (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  mulLoop

mulTail:
	CMPQ AX, BX
	JAE  mulDone
	LOADMASK(Y12)
	VMASKMOVPS (SI)(AX*4), Y12, Y0
	VMASKMOVPS (DX)(AX*4), Y12, Y1
	VMULPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)(AX*4)

mulDone:
	VZEROUPPER
	RET

// ADAM256 is ADAM512 on Y registers: g Y0, m Y1, v Y3, θ Y7, constants
// β1, β2, c1, c2, step, ε̂ in Y10…Y15.
#define ADAM256 \
	VMULPS Y10, Y1, Y1; \
	VMULPS Y12, Y0, Y2; \
	VADDPS Y2, Y1, Y1; \
	VMULPS Y11, Y3, Y3; \
	VMULPS Y13, Y0, Y4; \
	VMULPS Y0, Y4, Y4; \
	VADDPS Y4, Y3, Y3; \
	VSQRTPS Y3, Y5; \
	VADDPS Y15, Y5, Y5; \
	VMULPS Y14, Y1, Y6; \
	VDIVPS Y5, Y6, Y6; \
	VSUBPS Y6, Y7, Y7

// func adamAVX2(pDst, mDst, vDst, params, grad, m, v *float32, n int, step, epsHat, beta1, beta2, c1, c2 float32, c *vecConsts)
//
// Reads θ, g, m, v and writes θ', m', v' to the destinations, which may
// be the sources themselves (Adam in place).
TEXT ·adamAVX2(SB), NOSPLIT, $0-96
	MOVQ pDst+0(FP), R10
	MOVQ mDst+8(FP), R11
	MOVQ vDst+16(FP), R12
	MOVQ params+24(FP), DI
	MOVQ grad+32(FP), SI
	MOVQ m+40(FP), DX
	MOVQ v+48(FP), R9
	MOVQ n+56(FP), BX
	MOVQ c+88(FP), R8
	VBROADCASTSS beta1+72(FP), Y10
	VBROADCASTSS beta2+76(FP), Y11
	VBROADCASTSS c1+80(FP), Y12
	VBROADCASTSS c2+84(FP), Y13
	VBROADCASTSS step+64(FP), Y14
	VBROADCASTSS epsHat+68(FP), Y15
	MOVQ BX, CX
	ANDQ $~7, CX
	XORQ AX, AX

adamLoop:
	CMPQ AX, CX
	JAE  adamTail
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS (DX)(AX*4), Y1
	VMOVUPS (R9)(AX*4), Y3
	VMOVUPS (DI)(AX*4), Y7
	ADAM256
	VMOVUPS Y1, (R11)(AX*4)
	VMOVUPS Y3, (R12)(AX*4)
	VMOVUPS Y7, (R10)(AX*4)
	ADDQ $8, AX
	JMP  adamLoop

adamTail:
	CMPQ AX, BX
	JAE  adamDone
	LOADMASK(Y8)
	VMASKMOVPS (SI)(AX*4), Y8, Y0
	VMASKMOVPS (DX)(AX*4), Y8, Y1
	VMASKMOVPS (R9)(AX*4), Y8, Y3
	VMASKMOVPS (DI)(AX*4), Y8, Y7
	ADAM256
	VMASKMOVPS Y1, Y8, (R11)(AX*4)
	VMASKMOVPS Y3, Y8, (R12)(AX*4)
	VMASKMOVPS Y7, Y8, (R10)(AX*4)

adamDone:
	VZEROUPPER
	RET

// func polyakAVX2(dst, target, online *float32, n int, tau, keep float32, c *vecConsts)
TEXT ·polyakAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), R10
	MOVQ target+8(FP), DI
	MOVQ online+16(FP), SI
	MOVQ n+24(FP), BX
	MOVQ c+40(FP), R8
	VBROADCASTSS tau+32(FP), Y10
	VBROADCASTSS keep+36(FP), Y11
	MOVQ BX, CX
	ANDQ $~7, CX
	XORQ AX, AX

polyakLoop:
	CMPQ AX, CX
	JAE  polyakTail
	VMULPS (SI)(AX*4), Y10, Y0
	VMULPS (DI)(AX*4), Y11, Y1
	VADDPS Y1, Y0, Y0
	VMOVUPS Y0, (R10)(AX*4)
	ADDQ $8, AX
	JMP  polyakLoop

polyakTail:
	CMPQ AX, BX
	JAE  polyakDone
	LOADMASK(Y8)
	VMASKMOVPS (SI)(AX*4), Y8, Y0
	VMASKMOVPS (DI)(AX*4), Y8, Y1
	VMULPS Y10, Y0, Y0
	VMULPS Y11, Y1, Y1
	VADDPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y8, (R10)(AX*4)

polyakDone:
	VZEROUPPER
	RET

// func sumRowsAVX2(db, dy *float32, rows, n int, c *vecConsts)
//
// Column blocks of four vectors (then one, then the masked tail) held in
// registers while the rows are added in order.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ db+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ rows+16(FP), R14
	MOVQ n+24(FP), BX
	MOVQ c+32(FP), R8
	TESTQ R14, R14
	JZ   sumDone
	MOVQ BX, CX
	ANDQ $~7, CX
	MOVQ BX, R11
	ANDQ $~31, R11
	LEAQ (BX*4), R13    // row stride in bytes
	XORQ AX, AX

sumBlock4:
	CMPQ AX, R11
	JAE  sumBlock1
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRows4:
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VADDPS 64(DX), Y2, Y2
	VADDPS 96(DX), Y3, Y3
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRows4
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ $32, AX
	JMP  sumBlock4

sumBlock1:
	CMPQ AX, CX
	JAE  sumTail
	VMOVUPS (DI)(AX*4), Y0
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRows1:
	VADDPS (DX), Y0, Y0
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRows1
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  sumBlock1

sumTail:
	CMPQ AX, BX
	JAE  sumDone
	LOADMASK(Y8)
	VMASKMOVPS (DI)(AX*4), Y8, Y0
	LEAQ (SI)(AX*4), DX
	MOVQ R14, R12

sumRowsTail:
	VMASKMOVPS (DX), Y8, Y1
	VADDPS Y1, Y0, Y0
	ADDQ R13, DX
	DECQ R12
	JNZ  sumRowsTail
	VMASKMOVPS Y0, Y8, (DI)(AX*4)

sumDone:
	VZEROUPPER
	RET

// The column blocks of matVecAVX2, from one skeleton as MV512BLOCK's:
// groups of four vectors at byte offset o, the row's element in Y15.
#define MV256ZERO4(a, b, c, d) VXORPS a, a, a; VXORPS b, b, b; VXORPS c, c, c; VXORPS d, d, d
#define MV256FMA4(o, a, b, c, d) VFMADD231PS (o)(R13), Y15, a; VFMADD231PS (o+32)(R13), Y15, b; VFMADD231PS (o+64)(R13), Y15, c; VFMADD231PS (o+96)(R13), Y15, d
#define MV256ADD4(o, a, b, c, d) VADDPS (o)(R13), a, a; VADDPS (o+32)(R13), b, b; VADDPS (o+64)(R13), c, c; VADDPS (o+96)(R13), d, d
#define MV256STORE4(o, a, b, c, d) VMOVUPS a, (o)(R13); VMOVUPS b, (o+32)(R13); VMOVUPS c, (o+64)(R13); VMOVUPS d, (o+96)(R13)

#define MV256ZERO8 MV256ZERO4(Y0, Y1, Y2, Y3); MV256ZERO4(Y4, Y5, Y6, Y7)
#define MV256FMA8 MV256FMA4(0, Y0, Y1, Y2, Y3); MV256FMA4(128, Y4, Y5, Y6, Y7)
#define MV256ADD8 MV256ADD4(0, Y0, Y1, Y2, Y3); MV256ADD4(128, Y4, Y5, Y6, Y7)
#define MV256STORE8 MV256STORE4(0, Y0, Y1, Y2, Y3); MV256STORE4(128, Y4, Y5, Y6, Y7)
#define MV256ZERO4V MV256ZERO4(Y0, Y1, Y2, Y3)
#define MV256FMA4V MV256FMA4(0, Y0, Y1, Y2, Y3)
#define MV256ADD4V MV256ADD4(0, Y0, Y1, Y2, Y3)
#define MV256STORE4V MV256STORE4(0, Y0, Y1, Y2, Y3)
#define MV256ZERO1 VXORPS Y0, Y0, Y0
#define MV256FMA1 VFMADD231PS (R13), Y15, Y0
#define MV256ADD1 VADDPS (R13), Y0, Y0
#define MV256STORE1 VMOVUPS Y0, (R13)

#define MV256BLOCK(cols, ZERO, FMA, ADD, STORE, block, row, store, next) \
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
	VBROADCASTSS (R12), Y15; \
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

// func matVecAVX2(y, x, w *float32, k, n, incx, ldw, accumulate int, c *vecConsts)
//
// matVecAVX512 on Y registers: column blocks of 8 vectors (64 columns),
// of 4, of one, then the masked tail; the same chains, the same bits.
TEXT ·matVecAVX2(SB), NOSPLIT, $0-72
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
	XORQ CX, CX

	MV256BLOCK(64, MV256ZERO8, MV256FMA8, MV256ADD8, MV256STORE8, mv256Block8, mv256Row8, mv256Store8, mv256Block4)
	MV256BLOCK(32, MV256ZERO4V, MV256FMA4V, MV256ADD4V, MV256STORE4V, mv256Block4, mv256Row4, mv256Store4, mv256Block1)
	MV256BLOCK(8, MV256ZERO1, MV256FMA1, MV256ADD1, MV256STORE1, mv256Block1, mv256Row1, mv256Store1, mv256Tail)

mv256Tail:
	TESTQ AX, AX
	JZ   mv256Done
	MOVQ c+64(FP), R12
	NEGQ AX
	VMOVUPS (vecConsts_mask+32)(R12)(AX*4), Y8
	VXORPS Y0, Y0, Y0
	MOVQ SI, R12
	LEAQ (DX)(CX*4), R13
	MOVQ R8, R14

mv256RowTail:
	VBROADCASTSS (R12), Y15
	VMASKMOVPS (R13), Y8, Y1
	VFMADD231PS Y1, Y15, Y0
	ADDQ R10, R12
	ADDQ R11, R13
	DECQ R14
	JNZ  mv256RowTail
	LEAQ (DI)(CX*4), R13
	TESTQ R9, R9
	JZ   mv256StoreTail
	VMASKMOVPS (R13), Y8, Y1
	VADDPS Y1, Y0, Y0

mv256StoreTail:
	VMASKMOVPS Y0, Y8, (R13)

mv256Done:
	VZEROUPPER
	RET

// EXP256 is EXP512 on Y registers: v in Y0, the result in Y10, the
// constants as memory operands of vecConsts (R8).
#define EXP256 \
	VMULPS C_EXPLOG2E(R8), Y0, Y1; \
	VADDPS C_EXPMAGIC(R8), Y1, Y1; \
	VSUBPS C_EXPMAGIC(R8), Y1, Y2; \
	VPSUBD C_EXPMAGIC(R8), Y1, Y3; \
	VMULPS C_EXPC1(R8), Y2, Y4; \
	VSUBPS Y4, Y0, Y5; \
	VMULPS C_EXPC2(R8), Y2, Y4; \
	VSUBPS Y4, Y5, Y5; \
	VMULPS Y5, Y5, Y6; \
	VMULPS C_EXPE1(R8), Y5, Y7; \
	VADDPS C_EXPE0(R8), Y7, Y7; \
	VMULPS C_EXPE3(R8), Y5, Y8; \
	VADDPS C_EXPE2(R8), Y8, Y8; \
	VMULPS C_EXPE5(R8), Y5, Y9; \
	VADDPS C_EXPE4(R8), Y9, Y9; \
	VMULPS Y8, Y6, Y10; \
	VADDPS Y10, Y7, Y10; \
	VMULPS Y6, Y6, Y11; \
	VMULPS Y9, Y11, Y11; \
	VADDPS Y11, Y10, Y10; \
	VMULPS Y6, Y10, Y10; \
	VADDPS Y5, Y10, Y10; \
	VADDPS C_ONE(R8), Y10, Y10; \
	VPSLLD $23, Y3, Y3; \
	VPADDD Y3, Y10, Y10

// func expShiftAVX2(x *float32, n int, m float32, c *vecConsts) int
//
// expShiftAVX512 on Y registers: 8 lanes a vector, the same bits.
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), BX
	MOVQ c+24(FP), R8
	VBROADCASTSS m+16(FP), Y12
	VMOVUPS C_EXPLO(R8), Y13
	VMOVUPS C_EXPHI(R8), Y14
	MOVQ BX, CX
	ANDQ $~7, CX
	XORQ AX, AX

expLoop:
	CMPQ AX, CX
	JAE  expTail
	VMOVUPS (DI)(AX*4), Y0
	VSUBPS Y12, Y0, Y0
	VCMPPS $0x0d, Y13, Y0, Y1
	VCMPPS $0x02, Y14, Y0, Y2
	VANDPS Y2, Y1, Y1
	VMOVMSKPS Y1, R10
	CMPQ R10, $0xff
	JNE  expOut
	EXP256
	VMOVUPS Y10, (DI)(AX*4)
	ADDQ $8, AX
	JMP  expLoop

expTail:
	CMPQ AX, BX
	JAE  expDone
	LOADMASK(Y15)
	VMASKMOVPS (DI)(AX*4), Y15, Y0
	VSUBPS Y12, Y0, Y0
	VCMPPS $0x0d, Y13, Y0, Y1
	VCMPPS $0x02, Y14, Y0, Y2
	VANDPS Y2, Y1, Y1
	VANDPS Y15, Y1, Y1
	VMOVMSKPS Y1, R10
	VMOVMSKPS Y15, R11
	CMPQ R10, R11
	JNE  expOut
	EXP256
	VMASKMOVPS Y10, Y15, (DI)(AX*4)
	MOVQ BX, AX

expOut:
expDone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// SC is the byte offset of sinCos2Pi's constant i in vecConsts.
#define SC(i) (vecConsts_sc+(i)*32)

// func sinCos2PiAVX2(cos, sin, freq *float32, n int, t float64, c *vecConsts) int
//
// sinCos2PiAVX512 on 4 lanes: the folds by blends, the constants as
// memory operands.
TEXT ·sinCos2PiAVX2(SB), NOSPLIT, $0-56
	MOVQ cos+0(FP), DI
	MOVQ sin+8(FP), SI
	MOVQ freq+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+40(FP), R8
	VBROADCASTSD t+32(FP), Y8
	ANDQ $~3, BX
	XORQ AX, AX

scLoop256:
	CMPQ AX, BX
	JAE  scDone256
	VCVTPS2PD (DX)(AX*4), Y0
	VMULPD Y0, Y8, Y0                          // x = t·w
	VROUNDPD $0, Y0, Y1
	VSUBPD Y1, Y0, Y0                          // r = x − round(x)
	VCMPPD $0x1e, SC(const_scQuarter)(R8), Y0, Y2    // r > ¼
	VCMPPD $0x11, SC(const_scNegQuarter)(R8), Y0, Y3 // r < −¼
	VMOVUPD SC(const_scHalf)(R8), Y4
	VSUBPD Y0, Y4, Y4                          // ½ − r
	VMOVUPD SC(const_scNegHalf)(R8), Y5
	VSUBPD Y0, Y5, Y5                          // −½ − r
	VBLENDVPD Y2, Y4, Y0, Y0
	VBLENDVPD Y3, Y5, Y0, Y0
	VORPD Y2, Y3, Y2
	VMOVUPD SC(const_scOne)(R8), Y6
	VBLENDVPD Y2, SC(const_scNegOne)(R8), Y6, Y6 // sign
	VMULPD SC(const_scTwoPi)(R8), Y0, Y3       // y = 2π·r
	VMULPD Y3, Y3, Y4                          // z = y²
	VMULPD SC(const_scS6)(R8), Y4, Y5
	VADDPD SC(const_scS5)(R8), Y5, Y5
	VMULPD Y4, Y5, Y5
	VADDPD SC(const_scS4)(R8), Y5, Y5
	VMULPD Y4, Y5, Y5
	VADDPD SC(const_scS3)(R8), Y5, Y5
	VMULPD Y4, Y5, Y5
	VADDPD SC(const_scS2)(R8), Y5, Y5
	VMULPD Y4, Y5, Y5
	VADDPD SC(const_scS1)(R8), Y5, Y5
	VMULPD Y4, Y5, Y5
	VADDPD SC(const_scOne)(R8), Y5, Y5
	VMULPD Y3, Y5, Y5                          // sin
	VMULPD SC(const_scC7)(R8), Y4, Y7
	VADDPD SC(const_scC6)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scC5)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scC4)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scC3)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scC2)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scC1)(R8), Y7, Y7
	VMULPD Y4, Y7, Y7
	VADDPD SC(const_scOne)(R8), Y7, Y7
	VMULPD Y6, Y7, Y7                          // cos
	VCVTPD2PSY Y7, X7
	VMOVUPS X7, (DI)(AX*4)
	VCVTPD2PSY Y5, X5
	VMOVUPS X5, (SI)(AX*4)
	ADDQ $4, AX
	JMP  scLoop256

scDone256:
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

// The product kernel on Y registers (gemm.go): one tile of 6 rows by 16
// columns of C, 12 accumulators (Y0…Y11, row r in Y2r and Y2r+1), B's
// sliver row in Y12 and Y13, A's element broadcast in Y14 or Y15: the
// AVX-512 kernel's chains, its bits.
#define GEMM2ROW(addr, t, z0, z1) VBROADCASTSS addr, t; VFMADD231PS Y12, t, z0; VFMADD231PS Y13, t, z1
#define GEMM2STORE(z0, z1) VMOVUPS z0, (DI); VMOVUPS z1, 32(DI)
#define GEMM2ADD(z0, z1) VADDPS (DI), z0, z0; VADDPS 32(DI), z1, z1; VMOVUPS z0, (DI); VMOVUPS z1, 32(DI)
#define GEMM2MSTORE(z0, z1) VMASKMOVPS z0, Y12, (DI); VMASKMOVPS z1, Y13, 32(DI)
#define GEMM2MADD(z0, z1) VMASKMOVPS (DI), Y12, Y14; VADDPS Y14, z0, z0; VMASKMOVPS 32(DI), Y13, Y15; VADDPS Y15, z1, z1; VMASKMOVPS z0, Y12, (DI); VMASKMOVPS z1, Y13, 32(DI)

// func gemmTileAVX2(a, b, c *float32, k, lda, ldb, ldc, rows, transA, accumulate, cols int, m *vecConsts)
//
// gemmTileAVX512 for 6 rows and the first cols of 16 columns.
TEXT ·gemmTileAVX2(SB), NOSPLIT, $0-96
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ k+24(FP), CX
	MOVQ lda+32(FP), R9
	SHLQ $2, R9
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ transA+64(FP), AX
	TESTQ AX, AX
	JNZ  gemmTN256
	LEAQ (R9)(R9*2), R10   // 3·lda
	LEAQ (SI)(R9*4), R11   // row 4

gemmNN256:
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	GEMM2ROW((SI), Y14, Y0, Y1)
	GEMM2ROW((SI)(R9*1), Y15, Y2, Y3)
	GEMM2ROW((SI)(R9*2), Y14, Y4, Y5)
	GEMM2ROW((SI)(R10*1), Y15, Y6, Y7)
	GEMM2ROW((R11), Y14, Y8, Y9)
	GEMM2ROW((R11)(R9*1), Y15, Y10, Y11)
	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ R13, DX
	DECQ CX
	JNZ  gemmNN256
	JMP  gemmStore256

gemmTN256:
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	GEMM2ROW(0(SI), Y14, Y0, Y1)
	GEMM2ROW(4(SI), Y15, Y2, Y3)
	GEMM2ROW(8(SI), Y14, Y4, Y5)
	GEMM2ROW(12(SI), Y15, Y6, Y7)
	GEMM2ROW(16(SI), Y14, Y8, Y9)
	GEMM2ROW(20(SI), Y15, Y10, Y11)
	ADDQ R9, SI
	ADDQ R13, DX
	DECQ CX
	JNZ  gemmTN256

gemmStore256:
	MOVQ c+16(FP), DI
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	MOVQ rows+56(FP), BX
	MOVQ accumulate+72(FP), R11
	MOVQ cols+80(FP), AX
	CMPQ AX, $16
	JLT  gemmMasks256
	TESTQ R11, R11
	JNZ  gemmAdd256
	GEMM2STORE(Y0, Y1)
	CMPQ BX, $1
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2STORE(Y2, Y3)
	CMPQ BX, $2
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2STORE(Y4, Y5)
	CMPQ BX, $3
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2STORE(Y6, Y7)
	CMPQ BX, $4
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2STORE(Y8, Y9)
	CMPQ BX, $5
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2STORE(Y10, Y11)
	JMP  gemmDone256

gemmAdd256:
	GEMM2ADD(Y0, Y1)
	CMPQ BX, $1
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2ADD(Y2, Y3)
	CMPQ BX, $2
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2ADD(Y4, Y5)
	CMPQ BX, $3
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2ADD(Y6, Y7)
	CMPQ BX, $4
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2ADD(Y8, Y9)
	CMPQ BX, $5
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2ADD(Y10, Y11)
	JMP  gemmDone256

// Fewer than 16 columns: the masks of the first min(cols, 8) lanes and
// of the next cols − 8 (vecConsts.mask[8−r:16−r] selects r lanes).
gemmMasks256:
	MOVQ m+88(FP), R12
	MOVQ AX, R13
	CMPQ R13, $8
	JLE  gemmMask0
	MOVQ $8, R13

gemmMask0:
	SUBQ R13, AX
	NEGQ R13
	VMOVUPS (vecConsts_mask+32)(R12)(R13*4), Y12
	NEGQ AX
	VMOVUPS (vecConsts_mask+32)(R12)(AX*4), Y13
	TESTQ R11, R11
	JNZ  gemmMAdd256
	GEMM2MSTORE(Y0, Y1)
	CMPQ BX, $1
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MSTORE(Y2, Y3)
	CMPQ BX, $2
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MSTORE(Y4, Y5)
	CMPQ BX, $3
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MSTORE(Y6, Y7)
	CMPQ BX, $4
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MSTORE(Y8, Y9)
	CMPQ BX, $5
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MSTORE(Y10, Y11)
	JMP  gemmDone256

gemmMAdd256:
	GEMM2MADD(Y0, Y1)
	CMPQ BX, $1
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MADD(Y2, Y3)
	CMPQ BX, $2
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MADD(Y4, Y5)
	CMPQ BX, $3
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MADD(Y6, Y7)
	CMPQ BX, $4
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MADD(Y8, Y9)
	CMPQ BX, $5
	JEQ  gemmDone256
	ADDQ R8, DI
	GEMM2MADD(Y10, Y11)

gemmDone256:
	VZEROUPPER
	RET
