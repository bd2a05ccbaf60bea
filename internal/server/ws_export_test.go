package server

import "time"

// SetSocketInitTimeout shortens the connection_init timeout for a test and
// returns the function that restores it.
func SetSocketInitTimeout(d time.Duration) (restore func()) {
	old := socketInitTimeout
	socketInitTimeout = d
	return func() { socketInitTimeout = old }
}
