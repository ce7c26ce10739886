package sdk

import "time"

// workerIdle is how long an idle worker waits for another job before it
// exits.
const workerIdle = 10 * time.Second

// workers runs functions on goroutines it keeps for the next ones: a job
// goes to an idle worker when one is waiting, else to a new one. Every job
// still runs at once and concurrently with the others, as with a goroutine
// per job, without a new goroutine (and its stack growing again) for each.
type workers struct {
	tasks chan func() // unbuffered: a send succeeds only into a waiting worker
	quit  chan struct{}
}

func (w *workers) run(f func()) {
	if w.tasks == nil {
		w.tasks, w.quit = make(chan func()), make(chan struct{})
	}
	select {
	case w.tasks <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-w.tasks:
		case <-idle.C:
			return
		case <-w.quit:
			return
		}
	}
}

// close lets the idle workers exit; call it once no more jobs will come.
func (w *workers) close() {
	if w.quit != nil {
		close(w.quit)
	}
}
