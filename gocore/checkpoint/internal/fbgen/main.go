// Command fbgen writes the checkpoint verifier's view of the schema,
// gocore/checkpoint/verify_tables_generated.go, from
// gocore/checkpoint/schema/checkpoint.fbs: every table's fields in id
// order (field i lives at vtable offset 4 + 2i) with their wire kind and
// sizes, the root table and the file identifier. flatc 2.0.8 emits no Go
// verifier, so this is what keeps the hand-written one (verify.go) in
// step with the schema. `make generate` runs it; `make check-generate`
// fails when the committed file differs from its output.
//
//	go run ./gocore/checkpoint/internal/fbgen -o gocore/checkpoint/verify_tables_generated.go gocore/checkpoint/schema/checkpoint.fbs
//
// It reads the part of the flatbuffers grammar the schema uses —
// namespace, enum, struct, table, root_type, file_identifier,
// file_extension, comments — and refuses anything else (attributes,
// default values, unions, includes, vectors of structs or strings)
// rather than guess its layout.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"
	"unicode"
)

// scalarSizes are the flatbuffers scalar types and their sizes in bytes.
var scalarSizes = map[string]int{
	"bool": 1, "byte": 1, "ubyte": 1, "int8": 1, "uint8": 1,
	"short": 2, "ushort": 2, "int16": 2, "uint16": 2,
	"int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4,
	"long": 8, "ulong": 8, "int64": 8, "uint64": 8, "double": 8, "float64": 8,
}

type field struct{ name, typ string }

type decl struct {
	kind   string // "table" or "struct"
	name   string
	fields []field
}

// schema is what the generator needs of a parsed .fbs file.
type schema struct {
	decls      []decl            // tables and structs, in file order
	enums      map[string]string // enum name → underlying scalar type
	root       string
	identifier string
}

// lexer splits a schema into tokens: identifiers (dots allowed), numbers,
// string literals and single punctuation characters; comments are dropped.
func lex(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := rune(src[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated /* comment")
			}
			i += end + 4
		case c == '"':
			end := strings.IndexByte(src[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, src[i:i+end+2])
			i += end + 2
		case c == '_' || c == '-' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] == '.' || src[j] == '-' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks, nil
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) next() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	p.pos++
	return p.toks[p.pos-1]
}

func (p *parser) peek() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	return p.toks[p.pos]
}

func (p *parser) expect(want string) error {
	if got := p.next(); got != want {
		return fmt.Errorf("want %q, got %q", want, got)
	}
	return nil
}

func isIdent(s string) bool {
	return s != "" && (s[0] == '_' || unicode.IsLetter(rune(s[0])))
}

func parse(src string) (*schema, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	s := &schema{enums: map[string]string{}}
	for p.peek() != "" {
		switch kw := p.next(); kw {
		case "namespace":
			p.next()
			err = p.expect(";")
		case "file_extension", "file_identifier", "root_type":
			v := p.next()
			if kw == "file_identifier" {
				if len(v) != 6 || v[0] != '"' {
					return nil, fmt.Errorf("file_identifier %s: want four characters in quotes", v)
				}
				s.identifier = v[1:5]
			} else if kw == "root_type" {
				s.root = v
			}
			err = p.expect(";")
		case "enum":
			err = p.enum(s)
		case "table", "struct":
			err = p.decl(s, kw)
		default:
			return nil, fmt.Errorf("%q is not in the grammar fbgen reads (namespace, enum, struct, table, root_type, file_identifier, file_extension)", kw)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// enum reads `enum Name : type { A = 0, B, }`; only its type matters here.
func (p *parser) enum(s *schema) error {
	name := p.next()
	if err := p.expect(":"); err != nil {
		return fmt.Errorf("enum %s: %v (the underlying type is required)", name, err)
	}
	typ := p.next()
	if _, ok := scalarSizes[typ]; !ok {
		return fmt.Errorf("enum %s: underlying type %q is not a scalar", name, typ)
	}
	if err := p.expect("{"); err != nil {
		return fmt.Errorf("enum %s: %v", name, err)
	}
	for t := p.next(); t != "}"; t = p.next() {
		if t == "" || t == "(" {
			return fmt.Errorf("enum %s: unterminated, or an attribute (unsupported)", name)
		}
	}
	s.enums[name] = typ
	return nil
}

// decl reads a table or struct: `name: type;` fields, no defaults or
// attributes.
func (p *parser) decl(s *schema, kind string) error {
	d := decl{kind: kind, name: p.next()}
	if !isIdent(d.name) {
		return fmt.Errorf("%s name %q", kind, d.name)
	}
	if err := p.expect("{"); err != nil {
		return fmt.Errorf("%s %s: %v (attributes are not supported)", kind, d.name, err)
	}
	for p.peek() != "}" {
		name := p.next()
		if !isIdent(name) {
			return fmt.Errorf("%s %s: field name %q", kind, d.name, name)
		}
		if err := p.expect(":"); err != nil {
			return fmt.Errorf("%s.%s: %v", d.name, name, err)
		}
		typ := p.next()
		if typ == "[" {
			typ = "[" + p.next() + "]"
			if err := p.expect("]"); err != nil {
				return fmt.Errorf("%s.%s: %v", d.name, name, err)
			}
		}
		if err := p.expect(";"); err != nil {
			return fmt.Errorf("%s.%s: %v (default values and attributes are not supported)", d.name, name, err)
		}
		d.fields = append(d.fields, field{name, typ})
	}
	p.next()
	s.decls = append(s.decls, d)
	return nil
}

// layout is where a field type puts its bytes, in the terms of the
// verifier's wireType constants (verify.go).
type layout struct {
	kind        string // tInline, tString, tVector, tTable, tVecTable
	size, align int    // tInline: bytes in the table; tVector: bytes per element
	sub         string // tTable, tVecTable: the table
}

// resolver computes the layout of types, structs included.
type resolver struct {
	s       *schema
	byName  map[string]*decl
	structs map[string][2]int // size, align
}

func (r *resolver) inline(typ string) (size, align int, ok bool, err error) {
	if n, ok := scalarSizes[typ]; ok {
		return n, n, true, nil
	}
	if e, ok := r.s.enums[typ]; ok {
		n := scalarSizes[e]
		return n, n, true, nil
	}
	d := r.byName[typ]
	if d == nil || d.kind != "struct" {
		return 0, 0, false, nil
	}
	if sa, ok := r.structs[typ]; ok {
		return sa[0], sa[1], true, nil
	}
	// A struct's fields are laid out in order, each at a multiple of its
	// alignment; the struct is aligned to its largest and padded to it.
	off, maxAlign := 0, 1
	for _, f := range d.fields {
		n, a, ok, err := r.inline(f.typ)
		if err != nil {
			return 0, 0, false, err
		}
		if !ok {
			return 0, 0, false, fmt.Errorf("struct %s.%s: type %s cannot be in a struct", d.name, f.name, f.typ)
		}
		off = (off + a - 1) / a * a
		off += n
		maxAlign = max(maxAlign, a)
	}
	size = (off + maxAlign - 1) / maxAlign * maxAlign
	r.structs[typ] = [2]int{size, maxAlign}
	return size, maxAlign, true, nil
}

func (r *resolver) layout(d *decl, f field) (layout, error) {
	where := d.name + "." + f.name
	if f.typ == "string" {
		return layout{kind: "tString"}, nil
	}
	if n, a, ok, err := r.inline(f.typ); err != nil || ok {
		return layout{kind: "tInline", size: n, align: a}, err
	}
	if t := r.byName[f.typ]; t != nil && t.kind == "table" {
		return layout{kind: "tTable", sub: t.name}, nil
	}
	if elem, ok := strings.CutPrefix(f.typ, "["); ok {
		elem = strings.TrimSuffix(elem, "]")
		if t := r.byName[elem]; t != nil && t.kind == "table" {
			return layout{kind: "tVecTable", sub: t.name}, nil
		}
		if n, ok := scalarSizes[elem]; ok {
			return layout{kind: "tVector", size: n}, nil
		}
		if e, ok := r.s.enums[elem]; ok {
			return layout{kind: "tVector", size: scalarSizes[e]}, nil
		}
		return layout{}, fmt.Errorf("%s: vector of %s is not supported (only scalars and tables)", where, elem)
	}
	return layout{}, fmt.Errorf("%s: unknown type %s", where, f.typ)
}

// defName is the Go variable of a table's definition: Checkpoint → checkpointDef.
func defName(table string) string {
	return strings.ToLower(table[:1]) + table[1:] + "Def"
}

// generate returns the Go source of the verifier's tables.
func generate(s *schema, pkg, from string) ([]byte, error) {
	r := &resolver{s: s, byName: map[string]*decl{}, structs: map[string][2]int{}}
	for i := range s.decls {
		d := &s.decls[i]
		if r.byName[d.name] != nil || s.enums[d.name] != "" {
			return nil, fmt.Errorf("%s is declared twice", d.name)
		}
		r.byName[d.name] = d
	}
	if rt := r.byName[s.root]; rt == nil || rt.kind != "table" {
		return nil, fmt.Errorf("root_type %q is not a table", s.root)
	}
	if len(s.identifier) != 4 {
		return nil, fmt.Errorf("the schema has no file_identifier")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gocore/checkpoint/internal/fbgen from %s. DO NOT EDIT.\n\n", from)
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// Identifier is the flatbuffers file identifier: bytes 4…7 of every\n// checkpoint.\nconst Identifier = %q\n\n", s.identifier)
	b.WriteString("// The tables of the schema in the verifier's terms: each table's fields\n" +
		"// in id order (field i at vtable offset 4 + 2i), with their wire kind;\n" +
		"// size and align are an inline field's bytes in its table, size a\n" +
		"// vector's bytes per element.\nvar (\n")
	for _, d := range s.decls {
		if d.kind != "table" {
			continue
		}
		fmt.Fprintf(&b, "\t%s = &tableDef{%q, []fieldDef{\n", defName(d.name), d.name)
		for _, f := range d.fields {
			l, err := r.layout(&d, f)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "\t\t{name: %q, t: %s", f.name, l.kind)
			if l.size != 0 {
				fmt.Fprintf(&b, ", size: %d", l.size)
			}
			if l.align != 0 {
				fmt.Fprintf(&b, ", align: %d", l.align)
			}
			if l.sub != "" {
				fmt.Fprintf(&b, ", sub: %s", defName(l.sub))
			}
			b.WriteString("},\n")
		}
		b.WriteString("\t}}\n")
	}
	fmt.Fprintf(&b, ")\n\n// rootDef is the schema's root_type.\nvar rootDef = %s\n", defName(s.root))
	return format.Source(b.Bytes())
}

func main() {
	out := flag.String("o", "", "the Go file to write (required)")
	pkg := flag.String("package", "checkpoint", "the Go package of the output")
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: fbgen -o verify_tables_generated.go [-package checkpoint] schema.fbs")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "fbgen:", err)
		os.Exit(1)
	}
}

func run(in, out, pkg string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	s, err := parse(string(src))
	if err != nil {
		return fmt.Errorf("%s: %v", in, err)
	}
	code, err := generate(s, pkg, in)
	if err != nil {
		return fmt.Errorf("%s: %v", in, err)
	}
	return os.WriteFile(out, code, 0o644)
}
