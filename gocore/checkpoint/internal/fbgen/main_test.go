package main

import (
	"os"
	"strings"
	"testing"
)

const schemaPath = "../../schema/checkpoint.fbs"

// The committed verify_tables_generated.go is what the generator makes of
// the committed schema (make check-generate checks the same).
func TestGeneratedTablesAreCurrent(t *testing.T) {
	src, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(s, "checkpoint", "gocore/checkpoint/schema/checkpoint.fbs")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../verify_tables_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("gocore/checkpoint/verify_tables_generated.go is stale: run make generate")
	}
}

// Field ids, wire kinds and sizes: scalars, enums, a struct (aligned to
// its largest member and padded), strings, vectors and tables.
func TestLayouts(t *testing.T) {
	s, err := parse(`
namespace x.y; // a comment
/* a block
   comment */
enum E : short { A = 0, B, }
struct S { a: ubyte; b: double; c: int; }
table Leaf { v: [float]; }
table Root { e: E; s: S; name: string; leaf: Leaf; leaves: [Leaf]; bytes: [ubyte]; es: [E]; flag: bool; }
root_type Root;
file_identifier "ABCD";
file_extension "x";
`)
	if err != nil {
		t.Fatal(err)
	}
	code, err := generate(s, "p", "t.fbs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`const Identifier = "ABCD"`,
		`{name: "v", t: tVector, size: 4}`,
		`{name: "e", t: tInline, size: 2, align: 2}`,
		`{name: "s", t: tInline, size: 24, align: 8}`,
		`{name: "name", t: tString}`,
		`{name: "leaf", t: tTable, sub: leafDef}`,
		`{name: "leaves", t: tVecTable, sub: leafDef}`,
		`{name: "bytes", t: tVector, size: 1}`,
		`{name: "es", t: tVector, size: 2}`,
		`{name: "flag", t: tInline, size: 1, align: 1}`,
		`var rootDef = rootDef`,
	} {
		if !strings.Contains(string(code), want) {
			t.Errorf("missing %s in\n%s", want, code)
		}
	}
}

// What the generator does not understand is an error, never a guess.
func TestUnsupportedSyntaxIsRefused(t *testing.T) {
	for _, src := range []string{
		`table T { a: int = 3; } root_type T; file_identifier "ABCD";`,
		`table T { a: int (id: 1); } root_type T; file_identifier "ABCD";`,
		`table T (force_align: 8) { a: int; } root_type T; file_identifier "ABCD";`,
		`include "other.fbs"; table T { a: int; } root_type T; file_identifier "ABCD";`,
		`union U { T } table T { a: int; } root_type T; file_identifier "ABCD";`,
		`struct S { a: int; } table T { a: [S]; } root_type T; file_identifier "ABCD";`,
		`table T { a: [string]; } root_type T; file_identifier "ABCD";`,
		`table T { a: Missing; } root_type T; file_identifier "ABCD";`,
		`table T { a: int; } root_type S; file_identifier "ABCD";`,
		`table T { a: int; } root_type T;`,
		`table T { a: int; } table T { b: int; } root_type T; file_identifier "ABCD";`,
		`enum E { A } table T { a: E; } root_type T; file_identifier "ABCD";`,
	} {
		s, err := parse(src)
		if err == nil {
			_, err = generate(s, "p", "t.fbs")
		}
		if err == nil {
			t.Errorf("accepted: %s", src)
		}
	}
}
