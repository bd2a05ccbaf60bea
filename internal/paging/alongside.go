package paging

import "fmt"

// Alongside starts count, a connection's totalCount, beside the statement
// of its page when the database can take both at once (PostgreSQL outside
// a transaction), so a request waits for one round trip instead of two;
// otherwise, or when the process has no goroutine to spare (takeSpare),
// it counts at once. The returned function waits for the count.
func Alongside(concurrent bool, count func() (int, error)) func() (int, error) {
	if !concurrent || !takeSpare(1) {
		n, err := count()
		return func() (int, error) { return n, err }
	}
	var (
		n    int
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer giveSpare(1)
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("paging: counting panicked: %v", r)
			}
		}()
		n, err = count()
	}()
	return func() (int, error) {
		<-done
		return n, err
	}
}
