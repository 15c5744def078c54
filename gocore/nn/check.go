package nn

import "fmt"

// need panics unless x holds a rows×cols matrix; op names the operation
// and operand the argument. The message is formatted only on failure, so
// the check costs nothing on the hot path.
func need[T Float](op, operand string, x []T, rows, cols int) {
	if len(x) < rows*cols {
		panic(fmt.Sprintf("nn: %s: %s has %d elements, want %d×%d = %d", op, operand, len(x), rows, cols, rows*cols))
	}
}

// needIn is need for a method op of type typ.
func needIn[T Float](typ, op, operand string, x []T, rows, cols int) {
	if len(x) < rows*cols {
		need(typ+"."+op, operand, x, rows, cols)
	}
}
