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
	// gRPC may put back a shortened slice of a buffer; the next Get of that
	// tier must still be able to use the whole capacity.
	b := BufferPool.Get(3000)
	*b = (*b)[:10]
	BufferPool.Put(b)
	for range 3 {
		g := BufferPool.Get(4096)
		if len(*g) != 4096 || cap(*g) != 4096 {
			t.Fatalf("Get(4096) after a short Put: len %d cap %d", len(*g), cap(*g))
		}
		BufferPool.Put(g)
	}
	// Buffers the pool did not hand out are dropped, not pooled at a wrong size.
	odd := make([]byte, 3000)
	BufferPool.Put(&odd)
	small := make([]byte, 10)
	BufferPool.Put(&small)
	if g := BufferPool.Get(2049); cap(*g) != 4096 {
		t.Fatalf("Get(2049) after foreign Puts: cap %d, want 4096", cap(*g))
	}
}
