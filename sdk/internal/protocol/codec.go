package protocol

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// Codec is gRPC's protobuf codec with this protocol's buffers: gRPC's own
// codec takes its buffers from the process-wide default pool, which zeroes
// each one it hands out (a received batch of jobs spans several frames and is
// gathered into one buffer, a tenth of a no-op plugin's CPU went to clearing
// it). Both sides force it on their connection (grpc.ForceCodecV2 on the
// host's calls, grpc.ForceServerCodecV2 on the plugin's server); the bytes on
// the wire are plain protobuf, as with gRPC's codec.
var Codec encoding.CodecV2 = codec{}

type codec struct{}

// Marshal encodes v, into a pooled buffer when it is large enough to pool.
func (codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("proto: cannot marshal %T, not a proto.Message", v)
	}
	// Size first, so that Marshal can use the size it caches.
	size := proto.Size(m)
	opts := proto.MarshalOptions{UseCachedSize: true}
	if mem.IsBelowBufferPoolingThreshold(size) {
		b, err := opts.Marshal(m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	buf := BufferPool.Get(size)
	b, err := opts.MarshalAppend((*buf)[:0], m)
	if err != nil {
		BufferPool.Put(buf)
		return nil, err
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, BufferPool)}, nil
}

// Unmarshal decodes data into v. A message that arrived in one piece is
// decoded where it lies (as gRPC's codec does); one spread over several
// frames is gathered into a buffer from BufferPool, which is not cleared
// first. proto.Unmarshal copies what it keeps, so the buffers can go back
// to their pool as soon as it returns.
func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("proto: cannot unmarshal into %T, not a proto.Message", v)
	}
	if len(data) == 1 {
		return proto.Unmarshal(data[0].ReadOnlyData(), m)
	}
	buf := data.MaterializeToBuffer(BufferPool)
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

// Name is the content subtype, the same as gRPC's protobuf codec.
func (codec) Name() string { return "proto" }
