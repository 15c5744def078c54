package checkpoint

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
)

// The verifier's view of the schema: verify_tables_generated.go, which
// gocore/checkpoint/internal/fbgen writes from schema/checkpoint.fbs
// (`make generate`; `make check-generate` keeps it current), declares
// every table as a tableDef, rootDef and Identifier.

// wireType is how a field's bytes are laid out.
type wireType uint8

const (
	tInline   wireType = iota // a scalar, enum or struct inside the table
	tString                   // an offset to a string
	tVector                   // an offset to a vector of scalars
	tTable                    // an offset to a table
	tVecTable                 // an offset to a vector of offsets to tables
)

type fieldDef struct {
	name string
	t    wireType
	// size and align: an inline field's bytes in its table and their
	// alignment; size alone: a vector's bytes per element.
	size, align uint64
	sub         *tableDef // for tTable and tVecTable
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

// truncated is what a reference past the end of the buffer means: the
// bytes stop before the data they point to.
const truncated = "; the checkpoint is truncated (or corrupted)"

// pastEnd is verifyErr for a reference past the end of the buffer.
func pastEnd(path, format string, args ...any) error {
	return verifyErr(path, format+truncated, args...)
}

// table verifies the table d at pos and, recursively, what it points to.
func (v *verifier) table(pos uint64, d *tableDef, path string, depth int) error {
	if depth > maxDepth {
		return verifyErr(path, "tables nested deeper than %d", maxDepth)
	}
	if v.tables++; v.tables > maxTables {
		return verifyErr(path, "more than %d tables", maxTables)
	}
	if pos+4 > v.n {
		return pastEnd(path, "table at byte %d is outside the %d-byte buffer", pos, v.n)
	}
	if pos%4 != 0 {
		return verifyErr(path, "table at byte %d is misaligned", pos)
	}
	vt := int64(pos) - int64(int32(v.u32(pos)))
	if vt >= 0 && uint64(vt)+4 > v.n {
		return pastEnd(path, "vtable at byte %d (table at %d) is outside the %d-byte buffer", vt, pos, v.n)
	}
	if vt < 0 || vt%2 != 0 {
		return verifyErr(path, "vtable at byte %d (table at %d) is before the buffer or misaligned", vt, pos)
	}
	vtab := uint64(vt)
	vsize, tsize := v.u16(vtab), v.u16(vtab+2)
	if vsize >= 4 && vsize%2 == 0 && vtab+vsize > v.n {
		return pastEnd(path, "vtable at byte %d claims %d bytes; the buffer has %d", vtab, vsize, v.n)
	}
	if vsize < 4 || vsize%2 != 0 {
		return verifyErr(path, "vtable at byte %d claims %d bytes, not an even number ≥ 4", vtab, vsize)
	}
	if tsize < 4 {
		return verifyErr(path, "table at byte %d claims %d bytes, fewer than 4", pos, tsize)
	}
	if pos+tsize > v.n {
		return pastEnd(path, "table at byte %d claims %d bytes; the buffer has %d", pos, tsize, v.n)
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
		size, align := uint64(4), uint64(4) // an offset
		if f.t == tInline {
			size, align = f.size, f.align
		}
		if fo < 4 || fo+size > tsize {
			return verifyErr(fpath, "field at table offset %d with %d bytes lies outside its %d-byte table", fo, size, tsize)
		}
		at := pos + fo
		if at%align != 0 {
			return verifyErr(fpath, "field at byte %d is not %d-aligned", at, align)
		}
		if f.t == tInline {
			continue
		}
		target := at + v.u32(at)
		if target >= v.n {
			return pastEnd(fpath, "points to byte %d, past the end of the %d-byte buffer", target, v.n)
		}
		var err error
		switch f.t {
		case tString:
			err = v.str(target, fpath)
		case tVector:
			_, err = v.vector(target, f.size, fpath)
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
	if at+4 > v.n {
		return 0, pastEnd(path, "vector at byte %d is outside the %d-byte buffer", at, v.n)
	}
	if at%4 != 0 {
		return 0, verifyErr(path, "vector at byte %d is misaligned", at)
	}
	cnt := v.u32(at)
	if end := at + 4 + cnt*elem; end > v.n {
		return 0, pastEnd(path, "vector of %d elements at byte %d ends at byte %d, past the end of the %d-byte buffer", cnt, at, end, v.n)
	}
	return cnt, nil
}

// str verifies a string: a byte vector followed by a zero byte.
func (v *verifier) str(at uint64, path string) error {
	cnt, err := v.vector(at, 1, path)
	if err != nil {
		return err
	}
	end := at + 4 + cnt
	if end >= v.n {
		return pastEnd(path, "string of %d bytes at byte %d has no terminating zero before the end of the %d-byte buffer", cnt, at, v.n)
	}
	if v.buf[end] != 0 {
		return verifyErr(path, "string of %d bytes at byte %d has no terminating zero", cnt, at)
	}
	return nil
}

// verifyBuffer checks the header (size, identifier, root offset) and the
// whole tree.
func verifyBuffer(buf []byte) error {
	n := uint64(len(buf))
	if n < 8 {
		return &FormatError{Reason: fmt.Sprintf("%d bytes, too short for a checkpoint (a root offset and the identifier %q take 8): empty or truncated", n, Identifier)}
	}
	if id := string(buf[4:8]); id != Identifier {
		return &FormatError{Reason: fmt.Sprintf("file identifier %q (bytes 4…7), want %q%s", id, Identifier, foreignHint(buf))}
	}
	if n > maxFile {
		return &FormatError{Reason: fmt.Sprintf("%d bytes, more than a flatbuffer can address (%d)", n, uint64(maxFile))}
	}
	v := verifier{buf: buf, n: n}
	return v.table(v.u32(0), rootDef, rootDef.name, 0)
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

// verifyChecksum compares the checksum stored at at (checksumAt) with
// the buffer's.
func verifyChecksum(buf []byte, at uint64) error {
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
