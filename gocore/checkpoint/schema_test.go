package checkpoint

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The verifier's view of the schema is schema/checkpoint.fbs: the same
// tables, the same fields in the same order, the same types.
func TestCheckpointSchemaMatchesVerifier(t *testing.T) {
	src, err := os.ReadFile("schema/checkpoint.fbs")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`//[^\n]*`).ReplaceAllString(string(src), "")
	scalars := map[string]wireType{"bool": tBool, "ubyte": tU8, "Kind": tU8, "int32": tI32, "uint32": tU32, "float": tF32,
		"int64": tI64, "uint64": tU64, "double": tF64, "Pcg": tPcg, "string": tString, "[int32]": tVecI32, "[float]": tVecF32}
	defs := map[string]*tableDef{}
	for _, d := range []*tableDef{timeSamplerDef, configDef, spacesDef, netSpecDef, networkDef, adamDef, replayDef, checkpointDef} {
		defs[d.name] = d
	}
	tables := regexp.MustCompile(`table\s+(\w+)\s*\{([^}]*)\}`).FindAllStringSubmatch(text, -1)
	if len(tables) != len(defs) {
		t.Fatalf("the schema has %d tables, the verifier %d", len(tables), len(defs))
	}
	field := regexp.MustCompile(`^(\w+)\s*:\s*([\w\[\]]+)\s*(\(.*\))?$`)
	for _, tb := range tables {
		d := defs[tb[1]]
		if d == nil {
			t.Fatalf("table %s is not in the verifier", tb[1])
		}
		var fields []string
		for _, f := range strings.Split(tb[2], ";") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) != len(d.fields) {
			t.Fatalf("%s: %d fields in the schema, %d in the verifier", d.name, len(fields), len(d.fields))
		}
		for i, f := range fields {
			m := field.FindStringSubmatch(f)
			if m == nil {
				t.Fatalf("%s: cannot parse field %q", d.name, f)
			}
			name, typ := m[1], m[2]
			want, ok := scalars[typ]
			sub := ""
			if !ok {
				want, sub = tTable, typ
				if strings.HasPrefix(typ, "[") {
					want, sub = tVecTable, strings.Trim(typ, "[]")
				}
			}
			got := d.fields[i]
			if got.name != name || got.t != want || (sub != "" && (got.sub == nil || got.sub.name != sub)) {
				t.Fatalf("%s field %d: schema %s: %s, verifier %s (type %d)", d.name, i, name, typ, got.name, got.t)
			}
		}
	}
	if !strings.Contains(text, `file_identifier "`+Identifier+`"`) || !strings.Contains(text, "root_type Checkpoint") {
		t.Fatal("identifier or root type differ")
	}
}
