package engine

import "github.com/jobd-dev/jobd/engine/internal/broker"

// ErrDataDirInUse is the error Start returns when another jobd holds
// server.data_dir: one embedded NATS server per data folder, since two lose
// data. The message names the holder's pid and start time. A lock left by a
// jobd killed with -9 is released by the kernel and taken over.
var ErrDataDirInUse = broker.ErrDataDirInUse
