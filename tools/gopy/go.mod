// The code generators mfpo's Python build runs, pinned: gopy turns bindings/
// into the CPython extension and calls goimports on the code it generates.
// scripts/setup.d/python.sh (and setup.py, when they are missing) build both
// into build/bin with `go build -o ../../build/bin/NAME PKG` from this
// directory. A module of its own, so the main module never depends on them.
// (`go install github.com/go-python/gopy@v0.5.0` is refused; v0.4.x does not
// build on Go 1.26.)
module github.com/mfpo/mfpo/tools/gopy

go 1.26

require (
	github.com/go-python/gopy v0.5.0 // indirect
	github.com/gonuts/commander v0.1.0 // indirect
	github.com/gonuts/flag v0.1.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/mod v0.22.0 // indirect
	golang.org/x/sync v0.10.0 // indirect
	golang.org/x/tools v0.29.0 // indirect
)

tool (
	github.com/go-python/gopy
	golang.org/x/tools/cmd/goimports
)
