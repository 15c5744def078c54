package backendtest

import (
	"fmt"
	"math"
	"strings"

	"github.com/mfpo/mfpo/gocore/backend"
)

// Float is the element type of a backend.
type Float = backend.Float

// role says what an operation does to an operand.
type role int

const (
	in      role = iota // read only: must be bit-identical afterwards
	out                 // written only: starts as NaN, compared with the reference
	inout               // read and updated (accumulators, in-place ops): compared
	scratch             // read, then left with unspecified contents: not compared
)

// operand is one argument buffer of a case: rows rows of w active elements
// at row stride ld, then extra elements the operation must not touch
// (like the gaps between rows).
type operand struct {
	name        string
	rows, w, ld int
	extra       int
	role        role
	vals        []float64 // active values, packed [rows×w]; float32-representable; nil for out
	isNil       bool      // passed as a nil slice
	alias       int       // 1 + the index of the operand whose view this one is; 0: its own buffer
}

// size is the length of the operand's view.
func (o *operand) size() int {
	if o.rows == 0 || o.w == 0 {
		return o.extra
	}
	return (o.rows-1)*o.ld + o.w + o.extra
}

// active reports whether view index i is one of the operand's rows×w
// elements, and its packed index.
func (o *operand) active(i int) (int, bool) {
	if o.w == 0 || i >= (o.rows-1)*o.ld+o.w {
		return 0, false
	}
	r, c := i/o.ld, i%o.ld
	if c >= o.w {
		return 0, false
	}
	return r*o.w + c, true
}

// The operand constructors: vec is a vector of len(v) elements, mat a
// [rows×w] matrix at stride ld (0: packed).
func vecIn(name string, v []float64) operand { return matIn(name, 1, len(v), 0, v) }

func matIn(name string, rows, w, ld int, v []float64) operand {
	return operand{name: name, rows: rows, w: w, ld: ldOr(ld, w), role: in, vals: round32(v)}
}

func vecOut(name string, n int) operand { return matOut(name, 1, n, 0) }

func matOut(name string, rows, w, ld int) operand {
	return operand{name: name, rows: rows, w: w, ld: ldOr(ld, w), role: out}
}

func vecInout(name string, v []float64) operand { return matInout(name, 1, len(v), 0, v) }

func matInout(name string, rows, w, ld int, v []float64) operand {
	return operand{name: name, rows: rows, w: w, ld: ldOr(ld, w), role: inout, vals: round32(v)}
}

func nilArg(name string) operand { return operand{name: name, isNil: true, role: in} }

func ldOr(ld, w int) int {
	if ld == 0 {
		return max(w, 1)
	}
	return ld
}

// round32 rounds every value to float32 in place: both backends then see
// the same inputs, and input rounding is no part of the comparison.
func round32(v []float64) []float64 {
	for i, x := range v {
		v[i] = float64(float32(x))
	}
	return v
}

// A case is one operation on one shape, laid out in one region of an
// arena: every operand is a view at its own offset, between padding
// elements that hold NaN, so a view that does not start on any alignment
// boundary and writes outside the views both show.
type built struct {
	ops   []operand
	offs  []int
	total int
	init  []float64 // the region before the operation
	gap   []bool    // true where no output of the operation may write
	free  []bool    // true where the operation leaves unspecified values (scratch)
}

// guardPad is the padding before, between and after the views: odd, so
// that consecutive views start at different alignments.
const guardPad = 17

// gapValue is what the inactive elements inside operand i's view hold:
// finite, and another value in every operand, so that copying one
// operand's gaps into another's shows.
func gapValue(i int) float64 { return -7.25 - float64(i) }

func layout(ops []operand) *built {
	b := &built{ops: ops, offs: make([]int, len(ops))}
	pos := guardPad
	for i := range ops {
		o := &ops[i]
		if o.isNil {
			continue
		}
		if o.alias != 0 {
			b.offs[i] = b.offs[o.alias-1]
			continue
		}
		b.offs[i] = pos
		pos += o.size() + guardPad + i%4 // vary the relative alignments
	}
	b.total = pos
	b.init = make([]float64, pos)
	b.gap = make([]bool, pos)
	b.free = make([]bool, pos)
	for i := range b.init {
		b.init[i] = math.NaN()
		b.gap[i] = true
	}
	for i := range ops {
		o := &ops[i]
		if o.isNil || o.alias != 0 {
			continue
		}
		if o.vals != nil && len(o.vals) != o.rows*o.w {
			panic(fmt.Sprintf("backendtest: operand %s has %d values for %d×%d", o.name, len(o.vals), o.rows, o.w))
		}
		for j := 0; j < o.size(); j++ {
			p, ok := o.active(j)
			switch {
			case !ok:
				b.init[b.offs[i]+j] = gapValue(i)
			case o.vals != nil:
				b.init[b.offs[i]+j] = o.vals[p]
			}
			if ok && o.role != in {
				b.gap[b.offs[i]+j] = false
				b.free[b.offs[i]+j] = o.role == scratch
			}
		}
	}
	return b
}

// values returns operand i's active elements, packed, from a region.
func (b *built) values(i int, region []float64) []float64 {
	o := &b.ops[i]
	if o.alias != 0 {
		o = &b.ops[o.alias-1]
	}
	v := make([]float64, o.rows*o.w)
	for r := 0; r < o.rows; r++ {
		for c := 0; c < o.w; c++ {
			v[r*o.w+c] = region[b.offs[i]+r*o.ld+c]
		}
	}
	return v
}

// arena is one buffer of a backend that every case of Ops runs in (a
// device backend's Alloc is not free, and the seam has no Free): it
// grows when a case needs more.
type arena[T Float] struct {
	be  backend.Backend[T]
	buf []T
}

// run lays the case's region out in the arena, runs call on the views
// and returns the region after Sync with call's scalar results.
func (a *arena[T]) run(b *built, call func(backend.Backend[T], [][]T) []float64) (region, res []float64) {
	if len(a.buf) < b.total {
		a.be.Sync()
		a.buf = a.be.Alloc(b.total + b.total/2)
	}
	a.be.Sync() // the host writes only when the stream is idle
	buf := a.buf[:b.total]
	for i, v := range b.init {
		buf[i] = T(v)
	}
	views := make([][]T, len(b.ops))
	for i := range b.ops {
		if o := &b.ops[i]; !o.isNil {
			views[i] = buf[b.offs[i] : b.offs[i]+o.size() : b.offs[i]+o.size()]
		}
	}
	res = call(a.be, views)
	a.be.Sync()
	region = make([]float64, b.total)
	for i, v := range buf {
		region[i] = float64(v)
	}
	return region, res
}

// mismatch collects a case's failures, printing the first few.
type mismatch struct {
	lines []string
	n     int
	worst float64 // the largest |got − want|/tolerance over the compared values
}

const maxReported = 4

func (m *mismatch) addf(format string, args ...any) {
	m.n++
	if len(m.lines) < maxReported {
		m.lines = append(m.lines, fmt.Sprintf(format, args...))
	}
}

func (m *mismatch) String() string {
	s := strings.Join(m.lines, "\n\t")
	if m.n > len(m.lines) {
		s += fmt.Sprintf("\n\t… %d mismatches in all", m.n)
	}
	return s
}

// compare checks the region the backend under test left against the
// reference's: every element no output may write unchanged (bit for bit,
// NaN padding still NaN), every output element within its tolerance. A
// nil tolerance means exact. want NaN needs got NaN, want ±Inf needs the
// same infinity. A nil ref checks the unchanged elements only.
func (b *built) compare(m *mismatch, got, ref []float64, tol [][]float64) {
	for i, g := range got {
		if !b.gap[i] {
			continue
		}
		w := b.init[i]
		if math.IsNaN(w) && math.IsNaN(g) || w == g {
			continue
		}
		m.addf("wrote %v outside its outputs: region element %d (%s), was %v", g, i, b.where(i), w)
	}
	for i := range b.ops {
		o := &b.ops[i]
		if ref == nil || o.isNil || o.alias != 0 || o.role == in || o.role == scratch {
			continue
		}
		gv, wv := b.values(i, got), b.values(i, ref)
		var t []float64
		if i < len(tol) {
			t = tol[i]
		}
		for p := range gv {
			g, w := gv[p], wv[p]
			var ok bool
			var bound float64
			switch {
			case math.IsNaN(w):
				ok = math.IsNaN(g)
			case math.IsInf(w, 0) || t == nil:
				ok = g == w
			default:
				bound = t[p] + u*math.Abs(w) + floor
				if math.IsNaN(bound) {
					panic(fmt.Sprintf("backendtest: the tolerance of %s[%d] is NaN", o.name, p))
				}
				d := math.Abs(g - w)
				ok = d <= bound
				if ok && bound > 0 {
					m.worst = math.Max(m.worst, d/bound)
				}
			}
			if !ok {
				r, c := p/o.w, p%o.w
				if t == nil {
					m.addf("%s[%d] (row %d, col %d) = %v, want %v exactly", o.name, p, r, c, g, w)
				} else {
					m.addf("%s[%d] (row %d, col %d) = %.9g, want %.9g ± %.3g (|diff| %.3g)", o.name, p, r, c, g, w, bound, math.Abs(g-w))
				}
			}
		}
	}
}

// where names the operand a region index belongs to.
func (b *built) where(i int) string {
	for k := range b.ops {
		o := &b.ops[k]
		if o.isNil || o.alias != 0 {
			continue
		}
		if j := i - b.offs[k]; j >= 0 && j < o.size() {
			if _, ok := o.active(j); ok {
				return fmt.Sprintf("%s element %d", o.name, j)
			}
			return fmt.Sprintf("a gap of %s at %d", o.name, j)
		}
	}
	return "padding"
}

// sameBits reports the first index where two runs' regions differ in
// their bits, or −1; elements in skip (when not nil) do not count.
func sameBits(x, y []float64, skip []bool) int {
	for i := range x {
		if skip != nil && skip[i] {
			continue
		}
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) && !(math.IsNaN(x[i]) && math.IsNaN(y[i])) {
			return i
		}
	}
	return -1
}
