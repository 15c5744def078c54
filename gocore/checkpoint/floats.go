package checkpoint

import (
	"encoding/binary"
	"math"
	"unsafe"

	flatbuffers "github.com/google/flatbuffers/go"
)

// littleEndian is true on hosts whose float32 layout is the wire's, where
// float vectors are copied as bytes.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// floatBytes views x as bytes, without copying.
func floatBytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), 4*len(x))
}

// putFloats writes x as a [float] vector. The bulk path writes the bytes
// as one byte vector and then sets its length prefix from bytes to
// elements; prepending element by element is ten times slower.
func putFloats(b *flatbuffers.Builder, x []float32) flatbuffers.UOffsetT {
	if !littleEndian {
		b.StartVector(4, len(x), 4)
		for i := len(x) - 1; i >= 0; i-- {
			b.PrependFloat32(x[i])
		}
		return b.EndVector(len(x))
	}
	off := b.CreateByteVector(floatBytes(x))
	// The vector starts with its uint32 length, at Offset() from the end.
	binary.LittleEndian.PutUint32(b.Bytes[len(b.Bytes)-int(off):], uint32(len(x)))
	return off
}

// putInt32s writes x as an [int32] vector; the caller has checked that
// every element fits.
func putInt32s(b *flatbuffers.Builder, x []int) flatbuffers.UOffsetT {
	b.StartVector(4, len(x), 4)
	for i := len(x) - 1; i >= 0; i-- {
		b.PrependInt32(int32(x[i]))
	}
	return b.EndVector(len(x))
}

// vectorBytes returns the data of the vector in field slot of t, elem
// bytes per element, and whether the field is present. The verifier has
// checked that it lies inside the buffer.
func vectorBytes(t flatbuffers.Table, slot flatbuffers.VOffsetT, elem int) ([]byte, bool) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return nil, false
	}
	start := t.Vector(o)
	n := t.VectorLen(o)
	return t.Bytes[start : start+flatbuffers.UOffsetT(n*elem)], true
}

// decodeFloats copies little-endian float32s from src into dst
// (len(src) = 4·len(dst)).
func decodeFloats(dst []float32, src []byte) {
	if littleEndian {
		copy(floatBytes(dst), src)
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// firstNonFinite is the index of the first NaN or infinity of x, or −1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if v-v != 0 {
			return i
		}
	}
	return -1
}
