package policy_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDeploymentDeps: the deployment package depends on no training
// package; of the module's packages it imports only these.
func TestDeploymentDeps(t *testing.T) {
	const mod = "github.com/mfpo/mfpo/gocore/"
	// dist comes with backend/cpu, which implements every operation of the
	// seam, the posterior draws of the actor step among them.
	allowed := []string{"blas", "backend", "backend/cpu", "dist", "nn", "par", "flow", "critic", "policy"}
	// go test runs with the go command on PATH; without it this test
	// cannot check anything, which is a failure, not a pass.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", mod+"policy").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var seen []string
	for _, p := range strings.Fields(string(out)) {
		if name, ok := strings.CutPrefix(p, mod); ok {
			seen = append(seen, name)
			if !slices.Contains(allowed, name) {
				t.Errorf("gocore/policy depends on gocore/%s; allowed: %v", name, allowed)
			}
		}
	}
	if !slices.Contains(seen, "policy") || !slices.Contains(seen, "flow") {
		t.Errorf("go list -deps listed %v: not the package's dependencies", seen)
	}
}
