package checkpoint

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
)

// The schema as the verifier sees it: every table's fields in id order
// (field i lives at vtable offset 4 + 2i), with their wire types. A test
// parses schema/checkpoint.fbs and compares.

type wireType uint8

const (
	tBool wireType = iota
	tU8
	tI32
	tU32
	tF32
	tI64
	tU64
	tF64
	tPcg // struct Pcg: 16 bytes, 8-aligned
	tString
	tVecI32
	tVecF32
	tTable
	tVecTable
)

// inline returns the size and alignment of the field inside its table.
func (t wireType) inline() (size, align uint64) {
	switch t {
	case tBool, tU8:
		return 1, 1
	case tI32, tU32, tF32:
		return 4, 4
	case tI64, tU64, tF64:
		return 8, 8
	case tPcg:
		return 16, 8
	}
	return 4, 4 // an offset
}

type fieldDef struct {
	name string
	t    wireType
	sub  *tableDef // for tTable and tVecTable
}

type tableDef struct {
	name   string
	fields []fieldDef
}

// slot is the vtable offset of the named field; an unknown name is a
// programming error.
func (d *tableDef) slot(name string) flatbuffers.VOffsetT {
	for i, f := range d.fields {
		if f.name == name {
			return flatbuffers.VOffsetT(4 + 2*i)
		}
	}
	panic("checkpoint: table " + d.name + " has no field " + name)
}

var (
	timeSamplerDef = &tableDef{"TimeSampler", []fieldDef{
		{"mean", tF64, nil}, {"std", tF64, nil}, {"flow_matching_ratio", tF64, nil}, {"uniform", tBool, nil},
	}}
	configDef = &tableDef{"Config", []fieldDef{
		{"hidden", tVecI32, nil}, {"time_features", tI32, nil}, {"time_width", tI32, nil}, {"steps", tI32, nil},
		{"atoms", tI32, nil}, {"v_min", tF64, nil}, {"v_max", tF64, nil}, {"gamma", tF64, nil}, {"tau", tF64, nil},
		{"clipped_double_q", tBool, nil}, {"policy_samples", tI32, nil}, {"posterior_samples", tI32, nil},
		{"time_guard", tF64, nil}, {"time_sampler", tTable, timeSamplerDef}, {"probes", tI32, nil},
		{"exact_trace", tBool, nil}, {"init_alpha", tF64, nil}, {"target_entropy_per_dim", tF64, nil},
		{"actor_lr", tF64, nil}, {"adn_lr", tF64, nil}, {"critic_lr", tF64, nil}, {"alpha_lr", tF64, nil},
		{"batch_size", tI32, nil}, {"buffer_size", tI64, nil}, {"learning_starts", tI64, nil},
		{"eval_candidates", tI32, nil}, {"seed", tU64, nil}, {"shards", tI32, nil},
	}}
	spacesDef = &tableDef{"Spaces", []fieldDef{
		{"obs_dim", tI32, nil}, {"act_dim", tI32, nil}, {"obs_shape", tVecI32, nil},
		{"act_low", tVecF32, nil}, {"act_high", tVecF32, nil},
	}}
	netSpecDef = &tableDef{"NetSpec", []fieldDef{
		{"inputs", tVecI32, nil}, {"times", tI32, nil}, {"hidden", tVecI32, nil}, {"out", tI32, nil},
		{"layer_norm", tBool, nil}, {"time_features", tI32, nil}, {"time_width", tI32, nil},
	}}
	networkDef = &tableDef{"Network", []fieldDef{
		{"spec", tTable, netSpecDef}, {"params", tVecF32, nil},
	}}
	adamDef = &tableDef{"Adam", []fieldDef{
		{"lr", tF64, nil}, {"beta1", tF64, nil}, {"beta2", tF64, nil}, {"eps", tF64, nil},
		{"steps", tI64, nil}, {"m", tVecF32, nil}, {"v", tVecF32, nil},
	}}
	replayDef = &tableDef{"Replay", []fieldDef{
		{"capacity", tI64, nil}, {"pos", tI64, nil}, {"len", tI64, nil}, {"obs", tVecF32, nil},
		{"act", tVecF32, nil}, {"reward", tVecF32, nil}, {"next_obs", tVecF32, nil}, {"not_done", tVecF32, nil},
	}}
	checkpointDef = &tableDef{"Checkpoint", []fieldDef{
		{"format_version", tU32, nil}, {"kind", tU8, nil}, {"producer", tString, nil},
		{"config", tTable, configDef}, {"spaces", tTable, spacesDef}, {"policy", tTable, networkDef},
		{"target_critics", tVecTable, networkDef}, {"adn", tTable, networkDef}, {"critics", tVecTable, networkDef},
		{"policy_opt", tTable, adamDef}, {"adn_opt", tTable, adamDef}, {"critic_opts", tVecTable, adamDef},
		{"log_alpha", tF32, nil}, {"alpha_opt", tTable, adamDef}, {"rng", tPcg, nil},
		{"updates", tI64, nil}, {"stored", tI64, nil}, {"replay", tTable, replayDef}, {"checksum", tU32, nil},
	}}
)

// verifier checks a buffer's structure against the schema: every table's
// soffset, vtable and field extents, every offset's target, every
// vector's and string's extent, all within the buffer and aligned, so that
// the generated accessors read only inside it. It allocates nothing.
type verifier struct {
	buf    []byte
	n      uint64
	tables int
}

const (
	maxDepth  = 8    // the schema nests four deep
	maxTables = 4096 // a valid checkpoint has about 30
)

func (v *verifier) u16(at uint64) uint64 { return uint64(binary.LittleEndian.Uint16(v.buf[at:])) }
func (v *verifier) u32(at uint64) uint64 { return uint64(binary.LittleEndian.Uint32(v.buf[at:])) }

func verifyErr(path, format string, args ...any) error {
	return &FormatError{Reason: path + ": " + fmt.Sprintf(format, args...)}
}

// table verifies the table d at pos and, recursively, what it points to.
func (v *verifier) table(pos uint64, d *tableDef, path string, depth int) error {
	if depth > maxDepth {
		return verifyErr(path, "tables nested deeper than %d", maxDepth)
	}
	if v.tables++; v.tables > maxTables {
		return verifyErr(path, "more than %d tables", maxTables)
	}
	if pos%4 != 0 || pos+4 > v.n {
		return verifyErr(path, "table at byte %d is outside the %d-byte buffer or misaligned", pos, v.n)
	}
	vt := int64(pos) - int64(int32(v.u32(pos)))
	if vt < 0 || vt%2 != 0 || uint64(vt)+4 > v.n {
		return verifyErr(path, "vtable at byte %d (table at %d) is outside the %d-byte buffer or misaligned", vt, pos, v.n)
	}
	vtab := uint64(vt)
	vsize, tsize := v.u16(vtab), v.u16(vtab+2)
	if vsize < 4 || vsize%2 != 0 || vtab+vsize > v.n {
		return verifyErr(path, "vtable at byte %d claims %d bytes; the buffer has %d", vtab, vsize, v.n)
	}
	if tsize < 4 || pos+tsize > v.n {
		return verifyErr(path, "table at byte %d claims %d bytes; the buffer has %d", pos, tsize, v.n)
	}
	for i := range d.fields {
		f := &d.fields[i]
		vo := uint64(4 + 2*i)
		if vo+2 > vsize {
			break // fields beyond the vtable are absent
		}
		fo := v.u16(vtab + vo)
		if fo == 0 {
			continue
		}
		fpath := path + "." + f.name
		size, align := f.t.inline()
		if fo < 4 || fo+size > tsize {
			return verifyErr(fpath, "field at table offset %d with %d bytes lies outside its %d-byte table", fo, size, tsize)
		}
		at := pos + fo
		if at%align != 0 {
			return verifyErr(fpath, "field at byte %d is not %d-aligned", at, align)
		}
		if f.t < tString {
			continue // an inline scalar or struct
		}
		target := at + v.u32(at)
		if target >= v.n {
			return verifyErr(fpath, "points to byte %d, past the end of the %d-byte buffer", target, v.n)
		}
		var err error
		switch f.t {
		case tString:
			err = v.str(target, fpath)
		case tVecI32, tVecF32:
			_, err = v.vector(target, 4, fpath)
		case tTable:
			err = v.table(target, f.sub, fpath, depth+1)
		case tVecTable:
			var cnt uint64
			if cnt, err = v.vector(target, 4, fpath); err != nil {
				return err
			}
			for j := uint64(0); j < cnt; j++ {
				ep := target + 4 + 4*j
				if err = v.table(ep+v.u32(ep), f.sub, fmt.Sprintf("%s[%d]", fpath, j), depth+1); err != nil {
					return err
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// vector verifies the length prefix at at and that cnt elements of elem
// bytes follow inside the buffer; it returns cnt.
func (v *verifier) vector(at, elem uint64, path string) (uint64, error) {
	if at%4 != 0 || at+4 > v.n {
		return 0, verifyErr(path, "vector at byte %d is outside the %d-byte buffer or misaligned", at, v.n)
	}
	cnt := v.u32(at)
	if end := at + 4 + cnt*elem; end > v.n {
		return 0, verifyErr(path, "vector of %d elements at byte %d ends at byte %d, past the end of the %d-byte buffer", cnt, at, end, v.n)
	}
	return cnt, nil
}

// str verifies a string: a byte vector followed by a zero byte.
func (v *verifier) str(at uint64, path string) error {
	cnt, err := v.vector(at, 1, path)
	if err != nil {
		return err
	}
	if end := at + 4 + cnt; end >= v.n || v.buf[end] != 0 {
		return verifyErr(path, "string of %d bytes at byte %d has no terminating zero", cnt, at)
	}
	return nil
}

// verifyBuffer checks the header (size, identifier, root offset) and the
// whole tree.
func verifyBuffer(buf []byte) error {
	n := uint64(len(buf))
	if n < 8 {
		return &FormatError{Reason: fmt.Sprintf("%d bytes, too short for a checkpoint (a root offset and the identifier %q take 8)", n, Identifier)}
	}
	if id := string(buf[4:8]); id != Identifier {
		return &FormatError{Reason: fmt.Sprintf("file identifier %q (bytes 4…7), want %q%s", id, Identifier, foreignHint(buf))}
	}
	if n > maxFile {
		return &FormatError{Reason: fmt.Sprintf("%d bytes, more than a flatbuffer can address (%d)", n, uint64(maxFile))}
	}
	v := verifier{buf: buf, n: n}
	return v.table(v.u32(0), checkpointDef, "Checkpoint", 0)
}

// foreignHint names common file types, for the identifier error.
func foreignHint(buf []byte) string {
	magic := []struct{ prefix, name string }{
		{"\x89PNG", "PNG image"}, {"PK\x03\x04", "zip archive (a PyTorch .pt file is one)"},
		{"\x1f\x8b", "gzip file"}, {"\x93NUMPY", "NumPy .npy file"}, {"\x80\x02", "Python pickle"},
		{"\x80\x04", "Python pickle"}, {"\x80\x05", "Python pickle"}, {"\x89HDF", "HDF5 file"},
		{"\x7fELF", "ELF executable"}, {"{", "JSON or text file"}, {"GIF8", "GIF image"}, {"\xff\xd8\xff", "JPEG image"},
	}
	for _, m := range magic {
		if len(buf) >= len(m.prefix) && string(buf[:len(m.prefix)]) == m.prefix {
			return "; this looks like a " + m.name
		}
	}
	text := true
	for _, c := range buf[:min(len(buf), 64)] {
		if c < 0x09 || (c > 0x0d && c < 0x20) {
			text = false
			break
		}
	}
	if text {
		return "; this looks like a text file"
	}
	return ""
}

// checksumAt returns the byte position of Checkpoint.checksum in a
// verified buffer, or false when the field is absent.
func checksumAt(buf []byte) (uint64, bool) {
	t := fb.GetRootAsCheckpoint(buf, 0).Table()
	o := t.Offset(checkpointDef.slot("checksum"))
	if o == 0 {
		return 0, false
	}
	return uint64(t.Pos) + uint64(o), true
}

// checksum is the CRC-32 (IEEE) of buf with the four bytes at hole read
// as zero.
func checksum(buf []byte, hole uint64) uint32 {
	var zero [4]byte
	c := crc32.Update(0, crc32.IEEETable, buf[:hole])
	c = crc32.Update(c, crc32.IEEETable, zero[:])
	return crc32.Update(c, crc32.IEEETable, buf[hole+4:])
}

// verifyChecksum compares the stored checksum with the buffer's.
func verifyChecksum(buf []byte) error {
	at, ok := checksumAt(buf)
	if !ok {
		return missing("Checkpoint.checksum")
	}
	stored, have := binary.LittleEndian.Uint32(buf[at:]), checksum(buf, at)
	if stored != have {
		return &FormatError{Reason: fmt.Sprintf("checksum mismatch: stored %#08x, the %d bytes give %#08x; the file is truncated or corrupted", stored, len(buf), have)}
	}
	return nil
}

// seal writes the checksum of a finished buffer into its field.
func seal(buf []byte) {
	at, ok := checksumAt(buf)
	if !ok {
		panic("checkpoint: seal: no checksum field")
	}
	binary.LittleEndian.PutUint32(buf[at:], checksum(buf, at))
}
