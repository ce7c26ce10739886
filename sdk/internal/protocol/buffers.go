package protocol

import (
	"google.golang.org/grpc/mem"
)

// BufferPool is the pool both sides read gRPC messages into. gRPC's default
// pool jumps from 32 KiB to 1 MiB, and it zeroes a buffer's whole capacity
// each time it hands one out: a batch of a hundred jobs (tens of KiB) then
// cleared 1 MiB per message, a tenth of a no-op plugin's CPU. These tiers
// double up to 4 MiB, so a message clears at most twice its size.
var BufferPool mem.BufferPool = mustPool(8, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22)

func mustPool(exponents ...uint8) mem.BufferPool {
	p, err := mem.NewBinaryTieredBufferPool(exponents...)
	if err != nil {
		panic(err)
	}
	return p
}
