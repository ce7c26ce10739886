package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// statusKB reads a "VmRSS:"-style field of /proc/<pid>/status in KiB.
func statusKB(pid, field string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, field+":") {
			fs := strings.Fields(line[len(field)+1:])
			if len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// resetHWM resets VmHWM of this process (Linux ≥ 4.0); false when it cannot.
func resetHWM() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// children returns the pids of this process's direct children.
func children() []string {
	self := strconv.Itoa(os.Getpid())
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fs := strings.Fields(string(b[i+1:]))
		if len(fs) > 1 && fs[1] == self {
			out = append(out, filepath.Base(d))
		}
	}
	return out
}

// cpuTicks returns utime+stime of a process in clock ticks (1/100 s).
func cpuTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fs := strings.Fields(string(b[i+1:]))
	if len(fs) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(fs[11], 10, 64)
	s, _ := strconv.ParseInt(fs[12], 10, 64)
	return u + s
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapAllocs returns how many heap objects and bytes this process has
// allocated so far (runtime/metrics, without stopping the world).
func heapAllocs() (objects, bytes uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// allocsPerJob is the allocation count and bytes between two heapAllocs
// readings, per job.
func allocsPerJob(o0, b0, o1, b1 uint64, jobs int) (objects, bytes float64) {
	if jobs <= 0 {
		return 0, 0
	}
	return float64(o1-o0) / float64(jobs), float64(b1-b0) / float64(jobs)
}

// memSampler samples this process's VmRSS and its children's (the plugin's)
// every 50 ms and keeps the peaks.
type memSampler struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	selfPeak int64
	kidPeak  int64
}

func startMemSampler() *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		kids := children()
		n := 0
		for {
			rss := statusKB("self", "VmRSS")
			var kid int64
			for _, k := range kids {
				kid += statusKB(k, "VmRSS")
			}
			m.mu.Lock()
			m.selfPeak = max(m.selfPeak, rss)
			m.kidPeak = max(m.kidPeak, kid)
			m.mu.Unlock()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
			if n++; n%4 == 0 {
				kids = children()
			}
		}
	}()
	return m
}

// done stops sampling and returns the peaks in MiB.
func (m *memSampler) done() (self, kids float64) {
	close(m.stop)
	m.wg.Wait()
	return float64(m.selfPeak) / 1024, float64(m.kidPeak) / 1024
}
