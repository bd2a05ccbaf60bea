// Package graph is Kokeilu's GraphQL layer: schema files, gqlgen's generated
// executor and thin resolvers that hand work to ent and internal packages.
package graph

import (
	"context"

	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/search"

	"github.com/99designs/gqlgen/graphql"
)

// Resolver is the root resolver; it holds what resolvers depend on.
type Resolver struct {
	client *ent.Client // only through db(ctx)
	auth   *auth.Service
	board  *noticeboard.Board
	search *search.Index
}

// NewSchema builds the executable schema: the data, the accounts that sign
// users in, the live notice board and the search index.
func NewSchema(client *ent.Client, accounts *auth.Service, board *noticeboard.Board, index *search.Index) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{
		Resolvers:  &Resolver{client: client, auth: accounts, board: board, search: index},
		Directives: DirectiveRoot{WrittenWhole: writtenWhole},
	})
}

// db is the client a resolver reads and writes with: inside a mutation the
// mutation's transaction (entgql's Transactioner puts it in the context), so
// everything a mutation's answer reads — payload fields, nested connections,
// computed fields — sees its writes and takes no second connection (one
// would deadlock against the transaction's row locks once the pool is
// taken, and SQLite has one writer); otherwise the pool's client.
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if tx := ent.FromContext(ctx); tx != nil {
		return tx
	}
	return r.client
}
