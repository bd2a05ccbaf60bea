package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/policy"
)

// Session is a sign-in: the SHA-256 of a bearer token, never the token
// itself, with its expiry. Not part of the GraphQL API.
type Session struct{ ent.Schema }

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").NotEmpty().Unique().Immutable().Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Int("user_id").Immutable(),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
	}
}

func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

func (Session) Policy() ent.Policy { return policy.Internal() }

func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// DataRevision is a number every write raises, in the writer's transaction
// (internal/revision): server instances compare it to tell whether a cached
// result is still current. Internal: no GraphQL, no access but the server's.
type DataRevision struct{ ent.Schema }

func (DataRevision) Fields() []ent.Field {
	return []ent.Field{field.Int64("number").Default(0)}
}

func (DataRevision) Policy() ent.Policy { return policy.Internal() }

func (DataRevision) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
