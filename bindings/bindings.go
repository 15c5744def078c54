package bindings

import "github.com/mfpo/mfpo/gocore/buildinfo"

// Version returns mfpo's semantic version, buildinfo.Version ("0.1.0"); the
// Python package serves it as mfpo.__version__.
func Version() string {
	return buildinfo.Version
}

// BuildInfo returns this build as a JSON object with the keys version,
// go_version, blas ("openblas" or "gonum"), os and arch: buildinfo.JSON().
// Python's mfpo.build_info() decodes it into a dict.
func BuildInfo() string {
	return buildinfo.JSON()
}
