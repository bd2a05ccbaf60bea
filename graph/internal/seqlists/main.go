// Command seqlists rewrites gqlgen's generated executor (graph/generated.go)
// so that an object's data, once loaded, is marshalled in the calling
// goroutine. gqlgen has no setting for this (exec.worker_limit only caps
// how many goroutines run at once). go generate runs it after gqlgen:
//
//   - lists of objects go through graph.marshalSlice, element after
//     element, instead of graphql.MarshalSliceConcurrently, which starts
//     one goroutine per element;
//   - the resolver fields of a nested object go through graph.resolveNow,
//     one after the other, instead of FieldSet.ResolveConcurrently, which
//     starts a goroutine for each but the first when the object is
//     dispatched;
//   - the group of @defer'd fields is made only when an object has one
//     (resolveNow), not for every object (it computes the object's path);
//   - an object is written by graph.object, which allocates nothing per
//     field, instead of FieldSet.MarshalGQL.
//
// Root fields keep gqlgen's concurrency.
//
//	go run ./graph/internal/seqlists graph/generated.go
package main

import (
	"bytes"
	"fmt"
	"os"
)

// rewrites are gqlgen's code and its replacement, in graph/slice.go.
var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "resolveNow(ctx, out, field, ec.OperationContext, &deferred, i,"},
	{"deferred := graphql.NewDeferredGroup(ctx)", "var deferred graphql.DeferredGroup // made by resolveNow for a @defer"},
	{"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn object{fields, out}\n}"},
}

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
	for _, r := range rewrites {
		from, to := []byte(r.from), []byte(r.to)
		if !bytes.Contains(src, from) && !bytes.Contains(src, to) {
			// gqlgen changed the code it generates: look again rather
			// than silently keeping the goroutines.
			fmt.Fprintf(os.Stderr, "seqlists: no %s in %s\n", r.from, path)
			os.Exit(1)
		}
		src = bytes.ReplaceAll(src, from, to)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}
