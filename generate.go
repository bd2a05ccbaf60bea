package main

// ent first: gqlgen autobinds the generated ent package.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate
//go:generate go run ./graph/internal/seqlists graph/generated.go
