package cpu

import (
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// fenced returns n float32s that end where an inaccessible page begins,
// so that a kernel reading or writing one element past them faults, and
// a release function.
func fenced(t *testing.T, n int) ([]float32, func()) {
	t.Helper()
	page := syscall.Getpagesize()
	body := (n*4 + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, body+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[body:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), body/4)
	return all[body/4-n:], func() { syscall.Munmap(mem) }
}

// TestProductsStayInTheirOperands: the assembly kernels of the products
// (the row kernel, the blocked kernel with B packed or read in place, A
// read in place or padded) touch no element past A's, B's or C's last:
// each operand ends flush against an inaccessible page, for shapes whose
// last tile and sliver are partial, A and B transposed or not, on every
// vector path (and each result within float64's tolerance). A read past
// the end faults and fails the test run.
func TestProductsStayInTheirOperands(t *testing.T) {
	rng := fd.NewRNG(33)
	forEachPath(t, func(t *testing.T) {
		be := New[float32]()
		for _, s := range [][3]int{{1, 7, 5}, {3, 33, 17}, {5, 6, 256}, {13, 40, 9}, {25, 101, 33}, {100, 17, 600}, {205, 45, 31}} {
			m, n, k := s[0], s[1], s[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				ar, ac, br, bc := m, k, k, n
				if tr[0] {
					ar, ac = k, m
				}
				if tr[1] {
					br, bc = n, k
				}
				a, freeA := fenced(t, ar*ac)
				b, freeB := fenced(t, br*bc)
				c, freeC := fenced(t, m*n)
				copy(a, randF32(rng, ar*ac, 0, 1))
				copy(b, randF32(rng, br*bc, 0, 1))
				copy(c, randF32(rng, m*n, 0, 1))
				old := append([]float32(nil), c...)
				for _, beta := range []float32{0, 1} {
					copy(c, old)
					be.Gemm(tr[0], tr[1], m, n, k, 1, a, ac, b, bc, beta, c, n)
					x, w := make([]float32, k), make([]float32, k*n) // row r of op(A); op(B)
					for i := 0; i < k; i++ {
						for j := 0; j < n; j++ {
							if tr[1] {
								w[i*n+j] = b[j*bc+i]
							} else {
								w[i*n+j] = b[i*bc+j]
							}
						}
					}
					for r := 0; r < m; r++ {
						for i := range x {
							if tr[0] {
								x[i] = a[i*ac+r]
							} else {
								x[i] = a[r*ac+i]
							}
						}
						for j := 0; j < n; j++ {
							nearFloat64(t, fmt.Sprint(s, tr, beta), r, j, c[r*n+j], old[r*n+j], beta, x, 1, w, n, k)
						}
					}
				}
				freeA()
				freeB()
				freeC()
			}
		}
	})
}
