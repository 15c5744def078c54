package nn

import "fmt"

// Spec is the shape of an MLP (docs/algorithm.md §7):
//
//	cond  = Σ_j emb_j(time_j)                       (when Times > 0)
//	x0    = concat(inputs…, cond)
//	h_l   = GELU(LayerNorm(Dense_l(h_{l−1})))       for each hidden width
//	out   = Dense(h_L)
//
// with emb(t) = Dense(W_emb) ∘ GELU ∘ Dense(W_emb) ∘ Fourier(F)(t).
type Spec struct {
	Inputs    []int // widths of the vector inputs, concatenated in this order
	Times     int   // scalar time inputs, each with its own embedding, summed into cond
	Hidden    []int // hidden widths
	Out       int   // output width
	LayerNorm bool  // LayerNorm after each hidden Dense
	// TimeFeatures is F, the number of Fourier frequencies (2F features);
	// TimeWidth is the embedding width. Used only when Times > 0.
	TimeFeatures, TimeWidth int
}

// DefaultHidden is the paper's hidden shape, 3×256.
var DefaultHidden = []int{256, 256, 256}

// PolicySpec is u_θ(s, a_t, t, h): input concat(a, s, cond), output d.
func PolicySpec(obsDim, actDim int, hidden []int) Spec {
	return Spec{Inputs: []int{actDim, obsDim}, Times: 2, Hidden: hidden, Out: actDim,
		LayerNorm: true, TimeFeatures: 64, TimeWidth: 64}
}

// AverageDivergenceSpec is δ_ω(s, a_t, t, h): the policy's shape with one
// output.
func AverageDivergenceSpec(obsDim, actDim int, hidden []int) Spec {
	s := PolicySpec(obsDim, actDim, hidden)
	s.Out = 1
	return s
}

// CriticSpec is a C51 critic: input concat(s, a), output the atoms' logits.
func CriticSpec(obsDim, actDim, atoms int, hidden []int) Spec {
	return Spec{Inputs: []int{obsDim, actDim}, Hidden: hidden, Out: atoms, LayerNorm: true}
}

// Validate reports the first impossible field.
func (s Spec) Validate() error {
	if len(s.Inputs) == 0 && s.Times == 0 {
		return fmt.Errorf("nn: Spec has no inputs")
	}
	for i, w := range s.Inputs {
		if w < 1 {
			return fmt.Errorf("nn: Spec.Inputs[%d] = %d, want ≥ 1", i, w)
		}
	}
	if s.Times < 0 {
		return fmt.Errorf("nn: Spec.Times = %d, want ≥ 0", s.Times)
	}
	if s.Times > 0 && (s.TimeFeatures < 1 || s.TimeWidth < 1) {
		return fmt.Errorf("nn: Spec.TimeFeatures = %d, TimeWidth = %d, want ≥ 1 when Times > 0", s.TimeFeatures, s.TimeWidth)
	}
	for i, w := range s.Hidden {
		if w < 1 {
			return fmt.Errorf("nn: Spec.Hidden[%d] = %d, want ≥ 1", i, w)
		}
	}
	if s.Out < 1 {
		return fmt.Errorf("nn: Spec.Out = %d, want ≥ 1", s.Out)
	}
	return nil
}

// inWidth is the width of x0 = concat(inputs…, cond).
func (s Spec) inWidth() int {
	n := 0
	for _, w := range s.Inputs {
		n += w
	}
	if s.Times > 0 {
		n += s.TimeWidth
	}
	return n
}

// widths returns the input and output width of every Dense of the trunk.
func (s Spec) widths() []int {
	return append(append([]int{s.inWidth()}, s.Hidden...), s.Out)
}

// maxWidth is the widest trunk activation.
func (s Spec) maxWidth() int {
	m := 0
	for _, w := range s.widths() {
		m = max(m, w)
	}
	return m
}

// FLOPs is the number of floating-point operations of the matrix
// products of one forward pass for one row (2 per multiply-add), the
// figure the benchmarks count.
func (s Spec) FLOPs() int {
	f := 0
	w := s.widths()
	for l := 0; l+1 < len(w); l++ {
		f += 2 * w[l] * w[l+1]
	}
	f += s.Times * 2 * (2*s.TimeFeatures*s.TimeWidth + s.TimeWidth*s.TimeWidth)
	return f
}
