// Command seqlists rewrites gqlgen's generated executor (graph/generated.go)
// to marshal lists of objects with graph.marshalSlice, element after
// element, instead of graphql.MarshalSliceConcurrently, which starts one
// goroutine per element and has no setting to stop it (exec.worker_limit
// only caps how many run at once). go generate runs it after gqlgen.
//
//	go run ./graph/internal/seqlists graph/generated.go
package main

import (
	"bytes"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seqlists graph/generated.go")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
	from, to := []byte("graphql.MarshalSliceConcurrently("), []byte("marshalSlice(")
	n := bytes.Count(src, from)
	if n == 0 && !bytes.Contains(src, to) {
		// gqlgen changed how it marshals lists: look again rather than
		// silently keeping the goroutines.
		fmt.Fprintln(os.Stderr, "seqlists: no graphql.MarshalSliceConcurrently call in", path)
		os.Exit(1)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(src, from, to), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}
