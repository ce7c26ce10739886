package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jobd-dev/jobd/engine/internal/backup"
	"github.com/jobd-dev/jobd/engine/internal/broker"
	"github.com/jobd-dev/jobd/engine/internal/storecheck"
)

// BackupStream is one stream of a backup, as Backup and Restore report it.
type BackupStream = backup.StreamFile

// ErrStreamExists means Restore found one of the backup's streams on the
// server already: restore goes into an empty data folder or cluster.
var ErrStreamExists = backup.ErrExists

// Backup snapshots every jobd stream (events, runs, timers, results, dead
// letters, history) and the job-record bucket into dir, through the NATS
// server cfg points at, while jobd runs. progress, when not nil, is told of
// each stream as it is saved.
func Backup(ctx context.Context, cfg *Config, dir string, progress func(BackupStream)) error {
	nc, err := Connect(cfg, "jobd-backup")
	if err != nil {
		return err
	}
	defer nc.Close()
	_, err = backup.Backup(ctx, nc, dir, progress)
	return err
}

// Restore loads a backup made by Backup. With nats.url it restores into
// that server or cluster; without, into server.data_dir through an
// embedded server of its own, so jobd must be stopped (the data folder is
// locked). Either must hold none of the backup's streams.
func Restore(ctx context.Context, cfg *Config, dir string, progress func(BackupStream)) error {
	if cfg.NATS.URL != "" {
		nc, err := Connect(cfg, "jobd-restore")
		if err != nil {
			return err
		}
		defer nc.Close()
		_, err = backup.Restore(ctx, nc, dir, progress)
		return err
	}
	// The embedded server, on a loopback port of its own and asking no
	// credentials: no one else connects while it restores.
	own := *cfg
	own.NATS.Listen = "127.0.0.1:0"
	own.NATS.Token, own.NATS.User, own.NATS.Password = "", "", ""
	own.NATS.Creds, own.NATS.NKeySeed = "", ""
	own.NATS.TLSCA, own.NATS.TLSCert, own.NATS.TLSKey = "", "", ""
	emb, err := broker.StartEmbedded(&own, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("restore into %s: %w", cfg.Server.DataDir, err)
	}
	defer emb.Stop(context.Background())
	nc, err := emb.Connect(&own, "jobd-restore")
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err = backup.Restore(ctx, nc, dir, progress); err != nil {
		return err
	}
	// How jobd left the streams before is no measure of the restored ones:
	// the next start checks them from here on.
	if err := os.Remove(filepath.Join(cfg.Server.DataDir, storecheck.StateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
