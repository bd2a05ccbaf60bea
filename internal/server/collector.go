package server

import "runtime/debug"

// DefaultGOGC is the garbage collector's target (GOGC) when the
// environment sets none. A dashboard request allocates about 1 MB while
// the live heap of a server whose caches hold no graph view is about
// 5 MB, so at Go's default of 100 the collector ran every few requests.
// The price is memory: the heap may grow to five times the live data
// between collections (GOMEMLIMIT caps it).
const DefaultGOGC = 400

// SetCollector sets DefaultGOGC unless GOGC is set, which the runtime has
// read then. The binary and the benchmarks call it, so that a benchmark
// measures the process a server runs in.
func SetCollector(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGOGC)
	}
}
