package engine

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/storagegate"
)

// Probe stream: a one-message stream jobd writes to, while NATS refuses
// its writes, to learn when it takes them again. It is made the first time
// it is needed.
const (
	probeStream  = "JOBD_PROBE"
	probeSubject = "jobd.probe"
)

// newStorageGate returns the gate that pauses ingest while NATS refuses to
// store jobd's writes.
func (e *Engine) newStorageGate() *storagegate.Gate {
	o := storagegate.Options{
		Logger: e.log,
		Pause:  func() { e.ingest.Pause() },
		Resume: func() { e.ingest.Resume() },
		Probe:  e.probeStorage,
	}
	if e.embedded != nil {
		o.Repair = func() {
			if err := e.embedded.EnsureJetStream(); err != nil {
				e.log.Warn("could not enable JetStream again", "error", err)
			}
		}
	}
	return storagegate.New(o)
}

// probeStorage writes one small message to the probe stream.
func (e *Engine) probeStorage(ctx context.Context) error {
	_, err := e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: probeStream, Subjects: []string{probeSubject}, MaxMsgs: 1, Storage: jetstream.FileStorage,
		Replicas: e.cfg.NATS.Replicas, Description: "jobd writes here to learn whether NATS stores writes again",
	})
	if err != nil {
		return err
	}
	_, err = e.js.Publish(ctx, probeSubject, []byte("1"))
	return err
}
