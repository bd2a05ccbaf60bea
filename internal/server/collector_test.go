package server

import (
	"runtime/debug"
	"testing"
)

// TestSetCollector: DefaultGOGC unless GOGC is set, which wins.
func TestSetCollector(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	SetCollector(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != DefaultGOGC {
		t.Errorf("GOGC unset: %d, want %d", got, DefaultGOGC)
	}
	SetCollector(func(k string) string { return map[string]string{"GOGC": "150"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: the target changed to %d", got)
	}
}
