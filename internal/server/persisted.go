package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// LoadRegisteredQueries reads a JSON file of the queries a deployment
// allows: an array of query texts, or an object whose values are query
// texts (the keys are not trusted: each query is hashed again).
func LoadRegisteredQueries(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		var byKey map[string]string
		if err := json.Unmarshal(data, &byKey); err != nil {
			return nil, fmt.Errorf("%s: want a JSON array or object of query texts", path)
		}
		for _, q := range byKey {
			list = append(list, q)
		}
	}
	queries := make(map[string]string, len(list))
	for _, q := range list {
		queries[queryHash(q)] = q
	}
	return queries, nil
}

func queryHash(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// registeredOnly runs only registered queries: sent by their sha256 hash
// (the Automatic Persisted Queries extension) or as their exact text.
type registeredOnly struct{ queries map[string]string }

func (registeredOnly) ExtensionName() string                   { return "RegisteredQueriesOnly" }
func (registeredOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (r registeredOnly) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok {
			hash, _ := pq["sha256Hash"].(string)
			p.Query = r.queries[hash]
		}
	}
	if _, ok := r.queries[queryHash(p.Query)]; ok {
		return nil
	}
	err := gqlerror.Errorf("this server runs registered queries only")
	err.Extensions = map[string]any{"code": fault.Forbidden}
	return err
}
