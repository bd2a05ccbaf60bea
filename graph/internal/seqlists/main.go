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
//     dispatched; a @defer'd field too (no transport here sends later
//     parts), so no group of @defer'd fields is made (it computes the
//     object's path);
//   - an object's answer is a graph.object, its FieldSet, values and
//     fields in one allocation, written without allocating per field,
//     instead of gqlgen's FieldSet;
//   - a field's arguments are parsed once per field of the document in an
//     operation (graph.perSelection.fieldArgs, which each executionContext
//     gets), not once per object, and the field context made for parsing
//     only when they are;
//   - the fields of a selection set are collected once per operation
//     (graph.perSelection.collectFields), with a key that costs nothing to
//     build, instead of gqlgen's cache key built per object;
//   - a struct field of a scalar or enum type without arguments is read by
//     graph.readLeaf, without gqlgen's resolver middleware, in operations
//     marked by graph.DirectLeaves (no field interceptor installed), and
//     one resolved by a method or resolver, with no selection and only
//     arguments of scalar or enum types, by graph.resolveLeaf, its value
//     typed as its marshaller takes it; name(lang:) answers a pointer to
//     the name it picks (the model's NameAt), not a copy;
//   - a query's or mutation's answer is written into a buffer sized like
//     the last one (graph.marshalData), not grown from empty;
//   - each object's resolver (ResolverRoot's Municipality() and the like)
//     is made once per schema (keptRoots), not once per field resolved:
//     gqlgen's root makes a new one at every call.
//
// Root fields keep gqlgen's concurrency.
//
//	go run ./graph/internal/seqlists graph/generated.go
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
)

// rewrites are gqlgen's code and its replacement, in graph/slice.go.
var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"deferred := graphql.NewDeferredGroup(ctx)", "var deferred graphql.DeferredGroup // stays empty: resolveNow resolves a @defer'd field at once"},
	{"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn o\n}"},
	{"\tout := graphql.NewFieldSet(fields)\n", "\to := newObject(ctx, fields)\n\tout := o.out\n"},
	{"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}",
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\tonce *perSelection\n}"},
	{"\treturn &executionContext{\n\t\tExecutionContextState:", "\treturn &executionContext{\n\t\tonce: newPerSelection(opCtx),\n\t\tExecutionContextState:"},
	{"\t\t\tvar buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\t\t\tresponse.Data = buf.Bytes()\n", "\t\t\tresponse.Data = marshalData(data)\n"},
	{"\t\t\tvar buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\n\t\t\treturn &graphql.Response{\n\t\t\t\tData: buf.Bytes(),", "\t\t\treturn &graphql.Response{\n\t\t\t\tData: marshalData(data),"},
}

// concurrent is gqlgen's resolution of a nested object's resolver field
// in a goroutine of its own; graph.resolveNow takes its place. A @defer'd
// field is resolved there too, in the first answer: no transport of this
// server sends later parts (gqlgen's POST answered the fields null, with
// "hasNext": true and nothing after), and the incremental delivery working
// group lets a server inline what is deferred. resolveNow does not keep the
// closure, so it needs no allocation.
var concurrent = regexp.MustCompile(`out\.ResolveConcurrently\(ec\.OperationContext, &deferred, i,\n\t+(true|false), (true|false),\n` +
	`\t+(func\(ctx context\.Context\) graphql\.Marshaler \{\n\t+return ec\._\w+\(ctx, field, obj\)\n\t+\})\)`)

const resolvedNow = `resolveNow(ctx, out, ec.OperationContext, i, $1, $2, $3)`

// collect is every object's CollectFields (checked: no other remains).
var collect = regexp.MustCompile(`graphql\.CollectFields\(ec\.OperationContext, sel, (\w+Implementors)\)`)

// fieldArgs is the call of each field's argument parser; every call must
// have this shape (checked: no ArgumentMap(ec.Variables) may remain).
var fieldArgs = regexp.MustCompile(`ctx = graphql\.WithFieldContext\(ctx, fc\)\n\tif fc\.Args, err = ec\.(field_\w+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\)`)

// scalarContext is the field context of a field bound to a struct field
// (not a method, not a resolver) without arguments, of a scalar, enum or
// union type; readLeaf is for those with no selection (not a union).
var scalarContext = regexp.MustCompile(`func \(ec \*executionContext\) (fieldContext_\w+)\(_ context\.Context, field graphql\.CollectedField\) \(fc \*graphql\.FieldContext, err error\) \{\n\treturn graphql\.NewScalarFieldContext\(("\w+"), field, false, false, "\w+"\)\n\}`)

// structRead is gqlgen's resolution of a field that reads its object's
// struct field, with no directive (nil middleware chain).
var structRead = regexp.MustCompile(`\treturn graphql\.ResolveField\(\n\t\tctx,\n\t\tec\.OperationContext,\n\t\tfield,\n` +
	`\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n\t\t\treturn ec\.(fieldContext_\w+)\(ctx, field\)\n\t\t\},\n` +
	`\t\tfunc\(ctx context\.Context\) \(any, error\) \{\n\t\t\treturn obj\.(\w+), nil\n\t\t\},\n\t\tnil,\n` +
	`\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v [^\n]+\) graphql\.Marshaler \{\n\t\t\treturn ec\.(marshal[^(]+)\(ctx, selections, v\)\n\t\t\},\n` +
	`\t\t(true|false),\n`)

// readLeaves puts graph.readLeaf before gqlgen's resolution of each struct
// field of a scalar or enum type.
func readLeaves(src []byte) []byte {
	if bytes.Contains(src, []byte("readLeaf(")) {
		return src // already rewritten
	}
	plain, pointers := plainLeaves(src), plainPointers(src)
	objects := map[string]string{} // field context → object name, quoted
	for _, m := range scalarContext.FindAllSubmatch(src, -1) {
		objects[string(m[1])] = string(m[2])
	}
	return structRead.ReplaceAllFunc(src, func(call []byte) []byte {
		m := structRead.FindSubmatch(call)
		object, ok := objects[string(m[1])]
		if !ok {
			return call // an object, a list, or a field with arguments
		}
		read := fmt.Sprintf("readLeaf(ctx, ec.OperationContext, field, %s, obj.%s, ec.%s, %s)", object, m[2], m[3], m[4])
		if at, ok := plain[string(m[3])]; ok {
			read = fmt.Sprintf("&obj.%s", m[2])
			if at != "" {
				read = fmt.Sprintf("%s(%s)", at, read)
			}
		} else if at, ok := pointers[string(m[3])]; ok {
			read = fmt.Sprintf("%s(obj.%s)", at, m[2])
		}
		return fmt.Appendf(nil, "\tif ec.once.directLeaves && len(field.Selections) == 0 {\n\t\treturn %s\n\t}\n%s", read, call)
	})
}

// plainLeaves finds the marshallers that write their value as it is,
// never failing and without reading the context: each is named with the
// conversion (graph.stringAt and the like) of a pointer to the struct
// field that writes the same. An enum's (it is its own marshaller, by a
// value receiver) needs none.
func plainLeaves(src []byte) map[string]string {
	plain := map[string]string{}
	for body, at := range plainBodies {
		if bytes.Contains(src, []byte(body)) {
			plain[marshalName.FindString(body)] = at
		}
	}
	for _, m := range enumMarshal.FindAllSubmatch(src, -1) {
		plain[string(m[1])] = ""
	}
	return plain
}

// plainBodies are the generated marshallers of String, ID, Int, Date and
// Boolean, whole: if gqlgen or the scalars change them, their fields go
// through readLeaf again.
var plainBodies = map[string]string{
	"func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {\n\t_ = sel\n\tres := scalar.MarshalString(v)\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"String!\")\n\t}\n\treturn graphql.WrapContextMarshaler(ctx, res)\n}\n": "(*stringAt)",
	"func (ec *executionContext) marshalOString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {\n\t_ = sel\n\tres := scalar.MarshalString(v)\n\treturn graphql.WrapContextMarshaler(ctx, res)\n}\n":                                                                                             "(*stringAt)",
	"func (ec *executionContext) marshalNID2int(ctx context.Context, sel ast.SelectionSet, v int) graphql.Marshaler {\n\t_ = sel\n\tres := scalar.MarshalID(v)\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"ID!\")\n\t}\n\treturn graphql.WrapContextMarshaler(ctx, res)\n}\n":                   "(*idAt)",
	"func (ec *executionContext) marshalNInt2int(ctx context.Context, sel ast.SelectionSet, v int) graphql.Marshaler {\n\t_ = sel\n\tres := graphql.MarshalInt(v)\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"Int!\")\n\t}\n\treturn res\n}\n":                                                  "(*intAt)",
	"func (ec *executionContext) marshalOInt2int(ctx context.Context, sel ast.SelectionSet, v int) graphql.Marshaler {\n\t_ = sel\n\t_ = ctx\n\tres := graphql.MarshalInt(v)\n\treturn res\n}\n":                                                                                                                                "(*intAt)",
	"func (ec *executionContext) marshalNDate2timeᚐTime(ctx context.Context, sel ast.SelectionSet, v time.Time) graphql.Marshaler {\n\t_ = sel\n\tres := scalar.MarshalDate(v)\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"Date!\")\n\t}\n\treturn graphql.WrapContextMarshaler(ctx, res)\n}\n": "(*dateAt)",
	"func (ec *executionContext) marshalNBoolean2bool(ctx context.Context, sel ast.SelectionSet, v bool) graphql.Marshaler {\n\t_ = sel\n\tres := graphql.MarshalBoolean(v)\n\tif res == graphql.Null {\n\t\tgraphql.AddInvalidNullFromMarshaler(ctx, \"Boolean!\")\n\t}\n\treturn res\n}\n":                                    "(*boolAt)",
}

// plainPointerBodies are the generated marshallers of optional scalars
// held by pointer, whole: nil is null, and the conversion of the struct
// field itself writes null for nil.
var plainPointerBodies = map[string]string{
	"func (ec *executionContext) marshalODate2ᚖtimeᚐTime(ctx context.Context, sel ast.SelectionSet, v *time.Time) graphql.Marshaler {\n\tif v == nil {\n\t\treturn graphql.Null\n\t}\n\t_ = sel\n\tres := scalar.MarshalDate(*v)\n\treturn graphql.WrapContextMarshaler(ctx, res)\n}\n": "(*dateAt)",
}

// plainPointers finds the marshallers of plainPointerBodies.
func plainPointers(src []byte) map[string]string {
	plain := map[string]string{}
	for body, at := range plainPointerBodies {
		if bytes.Contains(src, []byte(body)) {
			plain[marshalName.FindString(body)] = at
		}
	}
	return plain
}

var marshalName = regexp.MustCompile(`marshal[^(]+`)

// enumMarshal is the marshaller of an enum: the value itself.
var enumMarshal = regexp.MustCompile(`func \(ec \*executionContext\) (marshal[NO][^(]+)\(ctx context\.Context, sel ast\.SelectionSet, v [\w.]+\) graphql\.Marshaler \{\n\treturn v\n\}\n`)

// resolveCall is gqlgen's resolution of a field, arguments and all.
var resolveCall = regexp.MustCompile(`\treturn graphql\.ResolveField\(\n\t\tctx,\n\t\tec\.OperationContext,\n\t\tfield,\n` +
	`\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n\t\t\treturn ec\.(fieldContext_\w+)\(ctx, field\)\n\t\t\},\n` +
	`(?:\t\t[^\n]*\n)+?\t\)\n`)

// leafContext is the field context of a field that has no child fields
// (of a scalar, enum or union type; the union's have selections).
var leafContext = regexp.MustCompile(`(?s)func \(ec \*executionContext\) (fieldContext_\w+)\([^\n]*\n(?:\t[^\n]*\n)*?(?:\treturn graphql\.NewScalarFieldContext\(|[^\n]*does not have child fields")`)

// resolveLeaves puts graph.resolveLeaf, a copy of gqlgen's call, before
// gqlgen's resolution of each field without child fields and without a
// directive that is not read by readLeaf.
func resolveLeaves(src []byte) []byte {
	if bytes.Contains(src, []byte("resolveLeaf(")) {
		return src // already rewritten
	}
	plain := plainLeaves(src)
	leaves := map[string]bool{}
	for _, m := range leafContext.FindAllSubmatch(src, -1) {
		leaves[string(m[1])] = true
	}
	objects := map[string]string{} // field context → object name, quoted
	for _, m := range objectContext.FindAllSubmatch(src, -1) {
		objects[string(m[1])] = string(m[2])
	}
	return resolveCall.ReplaceAllFunc(src, func(call []byte) []byte {
		m := resolveCall.FindSubmatch(call)
		if !leaves[string(m[1])] || structRead.Match(call) || !bytes.Contains(call, []byte("\n\t\tnil,\n")) {
			return call
		}
		copied := bytes.Replace(call, []byte("\treturn graphql.ResolveField("), []byte("\treturn resolveLeaf("), 1)
		// The resolver's value as the marshaller's type, not an any.
		typed := fmt.Appendf(nil, "func(ctx context.Context) (%s, error) {", leafType.FindSubmatch(call)[1])
		copied = bytes.Replace(copied, []byte("func(ctx context.Context) (any, error) {"), typed, 1)
		copied = leafMarshal.ReplaceAllFunc(copied, func(ret []byte) []byte {
			// A String or an ID the resolver returned: one allocation
			// for it instead of the marshaller's closures.
			at, ok := plain[string(leafMarshal.FindSubmatch(ret)[1])]
			if !ok || at != "(*stringAt)" && at != "(*idAt)" {
				return ret
			}
			return fmt.Appendf(nil, "return %s(&v)", at)
		})
		if read := readMethodCall(call, objects, plain); read != nil {
			copied = append(read, copied...)
		}
		return fmt.Appendf(nil, "\tif ec.once.directLeaves && Leaf(field) {\n%s\n\t}\n%s", indent(copied), call)
	})
}

// methodResolve is the resolution of a field by a method of its model
// that takes arguments and cannot fail: the method call, its arguments
// read from the field context.
var methodResolve = regexp.MustCompile(`\t\tfunc\(ctx context\.Context\) \(any, error\) \{\n\t\t\tfc := graphql\.GetFieldContext\(ctx\)\n\t\t\treturn (obj\.\w+\(ctx, [^\n]*\)), nil\n\t\t\},\n`)

// objectContext is the field context of a field with arguments, whose
// object it names.
var objectContext = regexp.MustCompile(`func \(ec \*executionContext\) (fieldContext_\w+)\(ctx context\.Context, field graphql\.CollectedField\) \(fc \*graphql\.FieldContext, err error\) \{\n\tfc = &graphql\.FieldContext\{\n\t\tObject: +("\w+"),`)

// readMethodCall is graph.readMethod's call for a leaf read by a method of
// its model (name(lang:)) with a String or ID answer, to put before
// resolveLeaf's: once the field's arguments are parsed it calls the method
// with them, without a field context. Nil for any other field.
func readMethodCall(call []byte, objects map[string]string, plain map[string]string) []byte {
	m, mm := methodResolve.FindSubmatch(call), leafMarshal.FindSubmatch(call)
	if m == nil || mm == nil {
		return nil
	}
	at, ok := plain[string(mm[1])]
	object, known := objects[string(resolveCall.FindSubmatch(call)[1])]
	if !ok || !known || at != "(*stringAt)" && at != "(*idAt)" {
		return nil
	}
	recoverFromPanic := recoverArg.FindSubmatch(call)[1]
	method := bytes.ReplaceAll(m[1], []byte("fc.Args["), []byte("args["))
	answer := fmt.Sprintf("v := %s\n\t\treturn %s(&v)", method, at)
	if args, ok := bytes.CutPrefix(method, []byte("obj.Name(")); ok && at == "(*stringAt)" {
		// The name itself, not a copy that escapes: every model's Name
		// has a NameAt (ent/names.go; the build fails without one).
		answer = fmt.Sprintf("return %s(obj.NameAt(%s)", at, args)
	}
	return fmt.Appendf(nil, "if args, ok := ec.once.parsed(field); ok {\n"+
		"\treturn readMethod(ctx, ec.OperationContext, field, %s, args, func(ctx context.Context, args map[string]any) graphql.Marshaler {\n"+
		"\t\t%s\n\t}, %s)\n}\n", object, answer, recoverFromPanic)
}

// recoverArg is the recoverFromPanic argument of gqlgen's call, before nonNull.
var recoverArg = regexp.MustCompile(`\t\t(true|false),\n\t\t(?:true|false),\n\t\)\n$`)

// rootInterface is gqlgen's ResolverRoot, one method per object with resolvers.
var rootInterface = regexp.MustCompile(`(?s)\ntype ResolverRoot interface \{\n(.*?)\n\}\n`)

// rootMethod is a method of ResolverRoot: name and resolver type.
var rootMethod = regexp.MustCompile(`^\t(\w+)\(\) (\w+)$`)

const schemaRoots = "&executableSchema{SchemaData: cfg.Schema, Resolvers: cfg.Resolvers,"

// keepRoots makes NewExecutableSchema keep each of the root's resolvers,
// made once: gqlgen's generated root answers Municipality() with a new
// &municipalityResolver{r} at every call, one allocation per field
// resolved (650 for a dashboard request).
func keepRoots(src []byte) ([]byte, error) {
	if bytes.Contains(src, []byte("keptRoots")) {
		return src, nil // already rewritten
	}
	m := rootInterface.FindSubmatch(src)
	if m == nil || !bytes.Contains(src, []byte(schemaRoots)) {
		return nil, fmt.Errorf("no ResolverRoot or NewExecutableSchema of the known shape")
	}
	var fields, made, methods bytes.Buffer
	for _, line := range bytes.Split(m[1], []byte("\n")) {
		mm := rootMethod.FindSubmatch(line)
		if mm == nil {
			return nil, fmt.Errorf("ResolverRoot method %q of an unknown shape", line)
		}
		fmt.Fprintf(&fields, "\t%s %s\n", lowerFirst(mm[1]), mm[2])
		fmt.Fprintf(&made, "\t\t%s: r.%s(),\n", lowerFirst(mm[1]), mm[1])
		fmt.Fprintf(&methods, "func (k *keptRoots) %s() %s { return k.%s }\n", mm[1], mm[2], lowerFirst(mm[1]))
	}
	src = bytes.Replace(src, []byte(schemaRoots), []byte("&executableSchema{SchemaData: cfg.Schema, Resolvers: keepRoots(cfg.Resolvers),"), 1)
	return fmt.Appendf(src, `
// keptRoots answers each resolver of a ResolverRoot made once (seqlists).
type keptRoots struct {
%s}

func keepRoots(r ResolverRoot) ResolverRoot {
	if r == nil {
		return nil
	}
	return &keptRoots{
%s	}
}

%s`, fields.Bytes(), made.Bytes(), methods.Bytes()), nil
}

func lowerFirst(name []byte) string {
	return string(bytes.ToLower(name[:1])) + string(name[1:])
}

// leafType is the type of the value a field's marshaller takes.
var leafType = regexp.MustCompile(`func\(ctx context\.Context, selections ast\.SelectionSet, v ([^)]+)\) graphql\.Marshaler \{`)

// leafMarshal is the call of a field's marshaller on the value resolved.
var leafMarshal = regexp.MustCompile(`return ec\.(marshal[^(]+)\(ctx, selections, v\)`)

// indent puts a tab before each line of code.
func indent(code []byte) []byte {
	return bytes.ReplaceAll(append([]byte("\t"), bytes.TrimSuffix(code, []byte("\n"))...), []byte("\n"), []byte("\n\t"))
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
	if !concurrent.Match(src) && !bytes.Contains(src, []byte("resolveNow(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no out.ResolveConcurrently of a nested field in %s\n", path)
		os.Exit(1)
	}
	src = concurrent.ReplaceAll(src, []byte(resolvedNow))
	if bytes.Contains(src, []byte("out.ResolveConcurrently(")) {
		// gqlgen resolves some nested field another way: look again.
		fmt.Fprintf(os.Stderr, "seqlists: out.ResolveConcurrently called another way in %s\n", path)
		os.Exit(1)
	}
	if !fieldArgs.Match(src) && !bytes.Contains(src, []byte("ec.once.fieldArgs(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no field argument parsing in %s\n", path)
		os.Exit(1)
	}
	src = fieldArgs.ReplaceAll(src, []byte("if fc.Args, err = ec.once.fieldArgs(&ctx, fc, ec.OperationContext, field, ec.$1)"))
	if bytes.Contains(src, []byte("ArgumentMap(ec.Variables)")) {
		// gqlgen parses some field's arguments another way: look again.
		fmt.Fprintf(os.Stderr, "seqlists: arguments parsed outside ctx = graphql.WithFieldContext(ctx, fc); if fc.Args, err = ec.field_X_args(…) in %s\n", path)
		os.Exit(1)
	}
	if !collect.Match(src) && !bytes.Contains(src, []byte("ec.once.collectFields(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no CollectFields in %s\n", path)
		os.Exit(1)
	}
	src = collect.ReplaceAll(src, []byte("ec.once.collectFields(ec.OperationContext, sel, $1)"))
	src = readLeaves(src)
	src = resolveLeaves(src)
	if src, err = keepRoots(src); err != nil {
		fmt.Fprintf(os.Stderr, "seqlists: %v in %s\n", err, path)
		os.Exit(1)
	}
	if !bytes.Contains(src, []byte("readLeaf(")) {
		fmt.Fprintf(os.Stderr, "seqlists: no struct field of a scalar type found in %s\n", path)
		os.Exit(1)
	}
	if bytes.Contains(src, []byte("graphql.CollectFields(ec.OperationContext")) {
		fmt.Fprintf(os.Stderr, "seqlists: CollectFields called another way in %s\n", path)
		os.Exit(1)
	}
	if src, err = format.Source(src); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}
