package nn

import "github.com/mfpo/mfpo/gocore/backend"

// Float is the element type: float32 in production, float64 in checks.
type Float = backend.Float
