// Package graph is Kokeilu's GraphQL layer: schema files, gqlgen's generated
// executor and thin resolvers that hand work to ent and internal packages.
package graph

import (
	"kokeilu/ent"
	"kokeilu/internal/auth"

	"github.com/99designs/gqlgen/graphql"
)

// Resolver is the root resolver; it holds what resolvers depend on.
type Resolver struct {
	client *ent.Client
	auth   *auth.Service
}

// NewSchema builds the executable schema over an ent client.
func NewSchema(client *ent.Client, accounts *auth.Service) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{client: client, auth: accounts}})
}
