package paging

import "runtime"

// spare are the goroutines the process may run statements in beside
// their requests' own (Alongside, Loads), at most 4 per core at once.
// Running a request's statements at once saves it round trips while the
// cores have time to spare; once many requests run, they already keep
// the cores and the database busy, and more goroutines and connections
// per request only cost (8 dashboard clients on PostgreSQL sharing 2
// cores: 232 → 185 requests/s in one run when every request fanned out).
// A request that finds too few spare runs its statements in turn.
var spare = make(chan struct{}, 4*runtime.GOMAXPROCS(0))

// takeSpare takes n spare goroutines, all or none.
func takeSpare(n int) bool {
	for i := range n {
		select {
		case spare <- struct{}{}:
		default:
			giveSpare(i)
			return false
		}
	}
	return true
}

// giveSpare gives n taken back.
func giveSpare(n int) {
	for range n {
		<-spare
	}
}
