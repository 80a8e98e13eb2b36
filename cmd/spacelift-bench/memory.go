package main

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memorySampler records the peak heap of the process it runs in (the
// operator child) from runtime/metrics.
type memorySampler struct {
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	heapInuse uint64
	heapAlloc uint64
}

// heapFigures are the runtime/metrics samples the sampler reads.
type heapFigures struct {
	// alloc is the bytes of heap objects, live or not yet swept
	// (MemStats.HeapAlloc).
	alloc uint64
	// inuse adds the unused part of in-use spans (MemStats.HeapInuse).
	inuse uint64
}

const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes"
	metricHeapUnused  = "/memory/classes/heap/unused:bytes"
)

// readHeap reads the heap figures; runtime/metrics does not stop the world.
func readHeap() heapFigures {
	s := []metrics.Sample{{Name: metricHeapObjects}, {Name: metricHeapUnused}}
	metrics.Read(s)
	var h heapFigures
	if s[0].Value.Kind() == metrics.KindUint64 {
		h.alloc = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		h.inuse = h.alloc + s[1].Value.Uint64()
	}
	return h
}

// startMemorySampler resets the peaks and samples every interval until
// close.
func startMemorySampler(interval time.Duration) *memorySampler {
	m := &memorySampler{stop: make(chan struct{}), done: make(chan struct{})}
	m.reset()
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
	h := readHeap()
	m.mu.Lock()
	m.heapInuse = max(m.heapInuse, h.inuse)
	m.heapAlloc = max(m.heapAlloc, h.alloc)
	m.mu.Unlock()
}

// reset frees what earlier work left behind, resets the kernel's RSS
// high-water mark and starts the peaks from the current figures.
func (m *memorySampler) reset() {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	m.mu.Lock()
	m.heapInuse, m.heapAlloc = 0, 0
	m.mu.Unlock()
	m.sample()
}

// peaks returns the peak heap in use and heap allocated since the last
// reset, including a sample taken now.
func (m *memorySampler) peaks() (heapInuse, heapAlloc uint64) {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapInuse, m.heapAlloc
}

func (m *memorySampler) close() {
	close(m.stop)
	<-m.done
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

// processCPU is the user and system CPU time of process pid, in seconds,
// from /proc/<pid>/stat (clock ticks of 1/100 s, as on every Linux the
// bench runs on); 0 when unavailable.
func processCPU(pid int) float64 {
	_, f := procStat(pid)
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

// procStat is the fields of /proc/<pid>/stat after the command name (field
// 3, the state, first), and the command name.
func procStat(pid int) (name string, fields []string) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", nil
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", nil
	}
	return s[open+1 : end], strings.Fields(s[end+1:])
}

// childProcess finds the child process of this one named name (the
// control plane's kube-apiserver and etcd, which envtest starts); 0 when
// there is none.
func childProcess(name string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// After the name: the state, then the parent's pid.
		if n, f := procStat(pid); n == name && len(f) > 1 && f[1] == self {
			return pid
		}
	}
	return 0
}

// machineCPU is the busy and total CPU time of the whole machine, in
// seconds, from the first line of /proc/stat; zeros when unavailable.
func machineCPU() (busy, total float64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0
	}
	for i, v := range fields[1:] {
		ticks, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0
		}
		total += float64(ticks) / 100
		// user nice system idle iowait ...: idle and iowait are not busy.
		if i != 3 && i != 4 {
			busy += float64(ticks) / 100
		}
	}
	return busy, total
}

// cpuMeter measures, over a window, the CPU of the control plane and the
// share of the machine every process used.
type cpuMeter struct {
	apiserver, etcd          int
	api0, etcd0, busy0, tot0 float64
}

// startCPUMeter starts a window.
func startCPUMeter() *cpuMeter {
	m := &cpuMeter{apiserver: childProcess("kube-apiserver"), etcd: childProcess("etcd")}
	m.api0, m.etcd0 = processCPU(m.apiserver), processCPU(m.etcd)
	m.busy0, m.tot0 = machineCPU()
	return m
}

// stop ends the window: the API server's and etcd's CPU seconds, and the
// busy share of the machine's cores (0 to 1).
func (m *cpuMeter) stop() (apiserver, etcd, busyShare float64) {
	if m.apiserver != 0 {
		apiserver = processCPU(m.apiserver) - m.api0
	}
	if m.etcd != 0 {
		etcd = processCPU(m.etcd) - m.etcd0
	}
	busy, tot := machineCPU()
	if tot > m.tot0 {
		busyShare = (busy - m.busy0) / (tot - m.tot0)
	}
	return apiserver, etcd, busyShare
}
