package protocol

import "testing"

func TestBufferPoolSizes(t *testing.T) {
	for _, tc := range []struct{ n, cap int }{
		{0, 256}, {1, 256}, {256, 256}, {257, 512},
		{16 << 10, 16 << 10}, {16<<10 + 1, 32 << 10},
		{4 << 20, 4 << 20}, {4<<20 + 1, 4<<20 + 1},
	} {
		b := BufferPool.Get(tc.n)
		if len(*b) != tc.n || cap(*b) != tc.cap {
			t.Errorf("Get(%d): len %d cap %d, want len %d cap %d", tc.n, len(*b), cap(*b), tc.n, tc.cap)
		}
		BufferPool.Put(b)
	}
}

func TestBufferPoolReturnsPrefixesAtFullCapacity(t *testing.T) {
	// gRPC may put back a shortened slice of a buffer: it is pooled by its
	// capacity, and the next Get of that tier uses the whole capacity.
	p := new(tieredPool)
	var put []*[]byte
	for range 20 {
		b := p.Get(3000)
		*b = (*b)[:10]
		put = append(put, b)
	}
	for _, b := range put {
		p.Put(b)
	}
	// sync.Pool may drop some (it does at random under the race detector),
	// not all twenty.
	reused := 0
	for range 20 {
		g := p.Get(4096)
		if len(*g) != 4096 || cap(*g) != 4096 {
			t.Fatalf("Get(4096) after short Puts: len %d cap %d", len(*g), cap(*g))
		}
		for _, b := range put {
			if b == g {
				reused++
			}
		}
	}
	if reused == 0 {
		t.Fatal("no buffer put back as a 10-byte prefix came back at 4096 bytes")
	}
	// Buffers the pool did not hand out (capacity not a power of two, or
	// too small) are dropped, not pooled at a wrong size.
	odd, small := make([]byte, 3000), make([]byte, 10)
	p.Put(&odd)
	p.Put(&small)
	for range 3 {
		if g := p.Get(2049); g == &odd || g == &small || cap(*g) != 4096 {
			t.Fatalf("Get(2049) after foreign Puts: cap %d, want a 4096-byte buffer of the pool's", cap(*g))
		}
	}
}
