package protocol

import (
	"math/bits"
	"sync"

	"google.golang.org/grpc/mem"
)

// Buffer sizes the pool keeps: powers of two from 256 B to 4 MiB.
const (
	minShift = 8
	maxShift = 22
)

// BufferPool is the pool both sides read gRPC messages into; only this
// protocol's connections use it (experimental.WithBufferPool on the host,
// experimental.BufferPool on the plugin), never gRPC's process-wide default.
//
// gRPC's own pools jump from 32 KiB to 1 MiB and zero a buffer's whole
// capacity each time they hand one out, so a batch of a hundred jobs (tens of
// KiB) cleared 1 MiB per message, a tenth of a no-op plugin's CPU. Finer
// tiers made that at most twice the message, still ~8% of the plugin's CPU.
// This pool does not zero at all: gRPC fills every buffer it gets from a pool
// before reading it (a frame read with io.ReadFull, a message gathered with
// copy), and the zeroing gRPC does is to keep one package from reading another's
// leftovers through the shared default pool, which this pool is not.
var BufferPool mem.BufferPool = new(tieredPool)

// tieredPool hands out buffers whose capacity is the next power of two at or
// above the length asked for, reused through one sync.Pool per size and not
// cleared. Larger requests than the top tier are allocated and never pooled.
type tieredPool struct {
	tiers [maxShift + 1]sync.Pool
}

// Get returns a buffer of length n; its contents are whatever a previous
// user left.
func (p *tieredPool) Get(n int) *[]byte {
	shift := minShift
	if n > 1<<minShift {
		shift = bits.Len(uint(n - 1))
	}
	if shift > maxShift {
		b := make([]byte, n)
		return &b
	}
	if b, ok := p.tiers[shift].Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<shift)
	return &b
}

// Put takes back a buffer from Get (or a prefix of one); others are dropped.
func (p *tieredPool) Put(b *[]byte) {
	c := cap(*b)
	if c < 1<<minShift || c > 1<<maxShift || c&(c-1) != 0 {
		return
	}
	p.tiers[bits.Len(uint(c))-1].Put(b)
}
