//go:build !cuda

package cuda

import "github.com/mfpo/mfpo/gocore/backend"

// Built reports whether this build has the CUDA backend.
const Built = false

// OpenBackend is Open as a backend.Backend; without the tag cuda it
// always fails with ErrNotBuilt.
func OpenBackend(Options) (backend.Backend[float32], error) { return nil, ErrNotBuilt }
