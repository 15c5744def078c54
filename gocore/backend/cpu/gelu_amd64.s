//go:build amd64

#include "textflag.h"

// Offsets into the constant table (geluConsts), 32 bytes per constant.
#define K      0
#define KC     32
#define K3C    64
#define INV81  96
#define P0     128
#define P1     160
#define P2     192
#define P3     224
#define P4     256
#define P5     288
#define P6     320
#define Q0     352
#define Q1     384
#define Q2     416
#define ONE    448
#define HALF   480
#define NEG9   512
#define POS9   544

// func geluAVX2(out, deriv, in *float32, n int, c *geluConsts)
//
// Per lane, with x2 = x²:
//   z  = clamp(x·(k + kc·x2), −9, 9)           (NaN passes through)
//   th = z·P(z²/81)/Q(z²/81)                    tanh z
//   h  = 0.5 + 0.5·th
//   g  = x·h
//   gp = h + x·(0.5 − 0.5·th²)·(k + 3kc·x2)
TEXT ·geluAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ deriv+8(FP), SI
	MOVQ in+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), R8
	SHRQ $3, CX
	JZ   done
	VMOVUPS NEG9(R8), Y14
	VMOVUPS POS9(R8), Y15

loop:
	VMOVUPS (DX), Y0            // x
	VMULPS  Y0, Y0, Y1          // x2
	VMOVUPS K(R8), Y2
	VFMADD231PS KC(R8), Y1, Y2  // k + kc·x2
	VMULPS  Y2, Y0, Y3          // z
	VMAXPS  Y3, Y14, Y3         // max(−9, z), NaN kept
	VMINPS  Y3, Y15, Y3         // min(9, z), NaN kept
	VMULPS  Y3, Y3, Y4
	VMULPS  INV81(R8), Y4, Y4   // y = z²/81
	VMOVUPS P6(R8), Y5
	VFMADD213PS P5(R8), Y4, Y5
	VFMADD213PS P4(R8), Y4, Y5
	VFMADD213PS P3(R8), Y4, Y5
	VFMADD213PS P2(R8), Y4, Y5
	VFMADD213PS P1(R8), Y4, Y5
	VFMADD213PS P0(R8), Y4, Y5  // P(y)
	VMOVUPS Q2(R8), Y6
	VFMADD213PS Q1(R8), Y4, Y6
	VFMADD213PS Q0(R8), Y4, Y6
	VFMADD213PS ONE(R8), Y4, Y6 // Q(y)
	VMULPS  Y5, Y3, Y5
	VDIVPS  Y6, Y5, Y5          // th = z·P/Q
	VMOVUPS HALF(R8), Y7
	VFMADD231PS HALF(R8), Y5, Y7 // h = 0.5 + 0.5·th
	VMULPS  Y7, Y0, Y8          // g = x·h
	VMOVUPS Y8, (DI)
	VMULPS  HALF(R8), Y5, Y10   // 0.5·th
	VMOVUPS HALF(R8), Y9
	VFNMADD231PS Y5, Y10, Y9    // s = 0.5 − 0.5·th²
	VMOVUPS K(R8), Y11
	VFMADD231PS K3C(R8), Y1, Y11 // k + 3kc·x2
	VMULPS  Y9, Y0, Y9          // x·s
	VFMADD213PS Y7, Y11, Y9     // gp = (k + 3kc·x2)·x·s + h
	VMOVUPS Y9, (SI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
