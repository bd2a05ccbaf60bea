package fault

import (
	"encoding/json"
	"net/http"
)

// WriteHTTP is the one writer of error bodies for requests refused outside
// GraphQL execution (body limit, rate limit, authentication, exports…): the
// GraphQL response shape, {"errors":[{"message", "extensions":{"code", …}}]},
// with no data entry. extra adds extensions (such as "parameter").
func WriteHTTP(w http.ResponseWriter, status int, code, message string, extra map[string]any) {
	ext := map[string]any{"code": code}
	for k, v := range extra {
		if k != "code" {
			ext[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": ext}},
	})
}
