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
//     field, instead of FieldSet.MarshalGQL;
//   - a field's arguments are parsed once per field of the document in an
//     operation (graph.perSelection.fieldArgs, which each executionContext
//     gets), not once per object;
//   - the fields of a selection set are collected once per operation
//     (graph.perSelection.collectFields), with a key that costs nothing to
//     build, instead of gqlgen's cache key built per object.
//
// Root fields keep gqlgen's concurrency.
//
//	go run ./graph/internal/seqlists graph/generated.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
)

// rewrites are gqlgen's code and its replacement, in graph/slice.go.
var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "resolveNow(ctx, out, field, ec.OperationContext, &deferred, i,"},
	{"deferred := graphql.NewDeferredGroup(ctx)", "var deferred graphql.DeferredGroup // made by resolveNow for a @defer"},
	{"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn object{fields, out}\n}"},
	{"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}",
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\tonce *perSelection\n}"},
	{"\treturn &executionContext{\n\t\tExecutionContextState:", "\treturn &executionContext{\n\t\tonce: new(perSelection),\n\t\tExecutionContextState:"},
}

// collect is every object's CollectFields (checked: no other remains).
var collect = regexp.MustCompile(`graphql\.CollectFields\(ec\.OperationContext, sel, (\w+Implementors)\)`)

// fieldArgs is the call of each field's argument parser; every call must
// have this shape (checked: no ArgumentMap(ec.Variables) may remain).
var fieldArgs = regexp.MustCompile(`fc\.Args, err = ec\.(field_\w+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\)`)

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
	if !fieldArgs.Match(src) && !bytes.Contains(src, []byte("ec.once.fieldArgs(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no field argument parsing in %s\n", path)
		os.Exit(1)
	}
	src = fieldArgs.ReplaceAll(src, []byte("fc.Args, err = ec.once.fieldArgs(ctx, ec.OperationContext, field, ec.$1)"))
	if bytes.Contains(src, []byte("ArgumentMap(ec.Variables)")) {
		// gqlgen parses some field's arguments another way: look again.
		fmt.Fprintf(os.Stderr, "seqlists: arguments parsed outside fc.Args, err = ec.field_X_args(…) in %s\n", path)
		os.Exit(1)
	}
	if !collect.Match(src) && !bytes.Contains(src, []byte("ec.once.collectFields(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no CollectFields in %s\n", path)
		os.Exit(1)
	}
	src = collect.ReplaceAll(src, []byte("ec.once.collectFields(ec.OperationContext, sel, $1)"))
	if bytes.Contains(src, []byte("graphql.CollectFields(ec.OperationContext")) {
		fmt.Fprintf(os.Stderr, "seqlists: CollectFields called another way in %s\n", path)
		os.Exit(1)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}
