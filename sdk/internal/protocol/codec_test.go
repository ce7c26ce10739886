package protocol

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/jobd-dev/jobd/sdk/internal/pluginpb"
)

// batch is an Execute request of n jobs, each with its own input.
func batch(n int) *pluginpb.ExecuteRequest {
	req := &pluginpb.ExecuteRequest{Cancel: []uint64{7, 9}}
	for i := range n {
		req.Jobs = append(req.Jobs, &pluginpb.Job{
			CallId: uint64(i + 1), JobId: "welcome", RunId: fmt.Sprintf("run-%d", i),
			Input: fmt.Appendf(nil, `{"to":"user%d@example.com"}`, i), Attempt: 1, MaxAttempts: 4,
		})
	}
	return req
}

// split cuts b into frames of at most size bytes, as gRPC's transport hands a
// message that spans several HTTP/2 frames to the codec.
func split(b []byte, size int) mem.BufferSlice {
	var s mem.BufferSlice
	for len(b) > 0 {
		n := min(size, len(b))
		s = append(s, mem.SliceBuffer(append([]byte(nil), b[:n]...)))
		b = b[n:]
	}
	return s
}

func TestCodecRoundTrip(t *testing.T) {
	// Small (unpooled), one frame, and spread over 16 KiB frames, decoded
	// twice in a row so the second decode reuses a buffer the first left
	// dirty in the pool.
	for _, n := range []int{1, 40, 2000, 2000} {
		want := batch(n)
		enc, err := Codec.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		wire := enc.Materialize()
		enc.Free()
		for _, frames := range []mem.BufferSlice{{mem.SliceBuffer(append([]byte(nil), wire...))}, split(wire, 16<<10)} {
			got := new(pluginpb.ExecuteRequest)
			if err := Codec.Unmarshal(frames, got); err != nil {
				t.Fatalf("%d jobs in %d frames: %v", n, len(frames), err)
			}
			// gRPC reuses the frames' buffers once Unmarshal returns: the
			// message must not point into them.
			for _, f := range frames {
				clear(f.ReadOnlyData())
			}
			if !proto.Equal(got, want) {
				t.Fatalf("%d jobs in %d frames: decoded message differs", n, len(frames))
			}
		}
		// What gRPC's own codec would decode.
		std := new(pluginpb.ExecuteRequest)
		if err := proto.Unmarshal(wire, std); err != nil || !proto.Equal(std, want) {
			t.Fatalf("%d jobs: the wire bytes are not plain protobuf (%v)", n, err)
		}
	}
}

func TestCodecRejectsNonProto(t *testing.T) {
	if _, err := Codec.Marshal(struct{}{}); err == nil {
		t.Fatal("Marshal of a non-proto value: no error")
	}
	if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{1})}, new(int)); err == nil {
		t.Fatal("Unmarshal into a non-proto value: no error")
	}
}
