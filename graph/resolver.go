// Package graph is Kokeilu's GraphQL layer: schema files, gqlgen's generated
// executor and thin resolvers that hand work to ent and internal packages.
package graph

import (
	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/search"

	"github.com/99designs/gqlgen/graphql"
)

// Resolver is the root resolver; it holds what resolvers depend on.
type Resolver struct {
	client *ent.Client
	auth   *auth.Service
	board  *noticeboard.Board
	search *search.Index
}

// NewSchema builds the executable schema: the data, the accounts that sign
// users in, the live notice board and the search index.
func NewSchema(client *ent.Client, accounts *auth.Service, board *noticeboard.Board, index *search.Index) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{client: client, auth: accounts, board: board, search: index}})
}
