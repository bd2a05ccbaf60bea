package server

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"kokeilu/ent"
	"kokeilu/ent/privacy"
	"kokeilu/internal/fault"
	"kokeilu/internal/scalar"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Error codes of DESIGN.md §3, for programs; messages are for people.
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeInternal        = "INTERNAL"
)

// rawNodeID finds the numeric ID in entgql's not-found message, which is
// re-encoded so that IDs stay opaque.
var rawNodeID = regexp.MustCompile(`global id of '(\d+)'`)

// presentError maps every error to a message and a stable extensions.code in
// one place. Anything unexpected becomes INTERNAL with a generic message and
// the request id; its details go to the log only.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	e := graphql.DefaultErrorPresenter(ctx, err)
	if code, ok := e.Extensions["code"].(string); ok && code != "" {
		if code == CodeNotFound {
			e.Message = rawNodeID.ReplaceAllStringFunc(e.Message, func(m string) string {
				id, _ := strconv.Atoi(rawNodeID.FindStringSubmatch(m)[1])
				return "global id of '" + scalar.EncodeID(id) + "'"
			})
		}
		return e // gqlgen's parse/validation errors and errors that carry a code
	}
	var validation *ent.ValidationError
	switch f, isFault := fault.As(err); {
	case isFault:
		e.Message = f.Message
		setCode(e, f.Code)
		if f.Field != "" {
			e.Extensions["field"] = f.Field
		}
	case errors.As(err, &validation):
		e.Message = validation.Error()
		setCode(e, CodeBadUserInput)
		e.Extensions["field"] = camelCase(validation.Name)
	case len(e.Path) == 0 && errors.As(err, new(*gqlerror.Error)):
		// Request-level errors of gqlgen's transports (an undecodable body,
		// bad variables) carry no code; they are the client's to fix. The
		// body decoder echoes the whole body, which is trimmed here.
		if strings.HasPrefix(e.Message, "json request body could not be decoded") {
			e.Message = "the request body is not valid JSON"
		}
		setCode(e, CodeBadUserInput)
	case errors.Is(err, scalar.ErrInvalid):
		setCode(e, CodeBadUserInput)
	case strings.HasPrefix(e.Message, "cannot decode cursor"):
		// entgql's Cursor refuses a cursor it did not make.
		e.Message = "the cursor is not valid: pass one this API returned"
		setCode(e, CodeBadUserInput)
	case strings.Contains(err.Error(), "ent: empty predicate "):
		// entgql refuses a filter with nothing in it, such as {and: []}.
		e.Message = "a nested filter is empty (e.g. not: {} or and: [{}]); leave it out"
		setCode(e, CodeBadUserInput)
	case ent.IsNotFound(err):
		e.Message = "not found"
		setCode(e, CodeNotFound)
	case ent.IsConstraintError(err):
		e.Message = "conflicts with existing data"
		setCode(e, CodeConflict)
	case errors.Is(err, privacy.Deny):
		e.Message = "forbidden"
		setCode(e, CodeForbidden)
	default:
		return internalError(ctx, e)
	}
	return e
}

// internalError logs e and returns it masked: a generic message, the code
// INTERNAL and the request id to find the details in the log.
func internalError(ctx context.Context, e *gqlerror.Error) *gqlerror.Error {
	id := RequestID(ctx)
	slog.ErrorContext(ctx, "internal error", "err", e.Message, "request_id", id, "path", e.Path.String())
	masked := &gqlerror.Error{Message: "internal error", Path: e.Path, Locations: e.Locations}
	setCode(masked, CodeInternal)
	masked.Extensions["requestId"] = id
	return masked
}

// camelCase turns an ent field name into its GraphQL name: ends_on → endsOn.
func camelCase(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// recoverPanic turns a resolver panic into an INTERNAL error, logged once;
// the process and the other fields of the response live on.
func recoverPanic(ctx context.Context, p any) error {
	return panicked(ctx, "resolver", p)
}
