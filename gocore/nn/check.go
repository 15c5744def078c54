package nn

import "fmt"

// need panics unless x holds at least n elements; what names the operand.
func need[T Float](what string, x []T, n int, shape string) {
	if len(x) < n {
		panic(fmt.Sprintf("nn: %s has %d elements, want %s = %d", what, len(x), shape, n))
	}
}
