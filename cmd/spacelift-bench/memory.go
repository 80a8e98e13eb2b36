package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// memorySampler records the peak heap of this process (operator and bench
// harness; the control plane and the emulator run in other processes).
type memorySampler struct {
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	heapInuse uint64
	heapAlloc uint64
}

// startMemorySampler frees what earlier sizes left behind, resets the
// kernel's RSS high-water mark and samples runtime.MemStats every interval.
func startMemorySampler(interval time.Duration) *memorySampler {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	m := &memorySampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memorySampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mu.Lock()
	m.heapInuse = max(m.heapInuse, ms.HeapInuse)
	m.heapAlloc = max(m.heapAlloc, ms.HeapAlloc)
	m.mu.Unlock()
}

// finish stops sampling and returns the peaks: HeapInuse, HeapAlloc and
// VmHWM (peak RSS since the reset).
func (m *memorySampler) finish() (heapInuse, heapAlloc, rss uint64) {
	close(m.stop)
	<-m.done
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapInuse, m.heapAlloc, peakRSS()
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+); elsewhere the
// peak covers the whole process lifetime.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reads VmHWM from /proc/self/status; 0 when unavailable.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// selfCPU is the user and system CPU time of this process, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// processCPU is the user and system CPU time of process pid, in seconds,
// from /proc/<pid>/stat (clock ticks of 1/100 s, as on every Linux the
// bench runs on); 0 when unavailable.
func processCPU(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	rest := string(data)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	// After the name: state is f[0], so utime (field 14) is f[11], stime f[12].
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return float64(utime+stime) / 100
}

// startCPUProfile profiles this process into dir/cpu-<n>.pprof until the
// returned function is called (again calls do nothing); no dir, no profile.
func startCPUProfile(dir string, n int) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", n)))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		})
	}, nil
}

// liveHeap forces a GC and returns HeapAlloc; with a dir it also writes the
// heap profile to dir/heap-<n>.pprof.
func liveHeap(dir string, n int) (uint64, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", n)))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return 0, err
		}
	}
	return ms.HeapAlloc, nil
}
