package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"kokeilu/ent"
	"kokeilu/ent/privacy"
	"kokeilu/internal/database"
	"kokeilu/internal/fault"
	"kokeilu/internal/scalar"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// rawNodeID finds the numeric ID in entgql's not-found message, which is
// re-encoded so that IDs stay opaque.
var rawNodeID = regexp.MustCompile(`global id of '(\d+)'`)

// notInt is gqlparser's message for a variable that is no Int.
var notInt = regexp.MustCompile(`^cannot use value -?\d+ as Int$`)

// presentError maps every error to a message and a stable extensions.code in
// one place. Anything unexpected becomes INTERNAL with a generic message and
// the request id; its details go to the log only.
// suggestion is a "Did you mean …?" sentence in an error message.
var suggestion = regexp.MustCompile(`\s*Did you mean\b[^?]*\?`)

func presentError(ctx context.Context, err error) *gqlerror.Error {
	e := graphql.DefaultErrorPresenter(ctx, err)
	// No suggestion reaches a client, whichever rule or library wrote it
	// (see rulesWithoutSuggestions): it would name the schema's fields,
	// arguments and enum values to a prober.
	e.Message = suggestion.ReplaceAllString(e.Message, "")
	if notInt.MatchString(e.Message) && len(e.Path) >= 2 {
		// gqlparser reports a variable such as 1.5 or 1e30 for an Int as
		// "cannot use value 0 as Int", whatever the value was.
		e.Message = fmt.Sprintf("variable $%v is not an Int: send a whole number from -2147483648 to 2147483647", e.Path[1])
		setCode(e, fault.BadUserInput)
		return e
	}
	if code, ok := e.Extensions["code"].(string); ok && code != "" {
		if code == fault.NotFound {
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
		// The validators of ent/schema answer with faults (the case
		// above); this is the guard for one that does not: our words,
		// never ent's ("ent: validator failed for field …").
		field := camelCase(validation.Name)
		e.Message = field + " is not a valid value"
		setCode(e, fault.BadUserInput)
		e.Extensions["field"] = field
	case len(e.Path) == 0 && errors.As(err, new(*gqlerror.Error)):
		// Request-level errors of gqlgen's transports (an undecodable body,
		// bad variables) carry no code; they are the client's to fix. The
		// body decoder echoes the whole body, which is trimmed here.
		if strings.HasPrefix(e.Message, "json request body could not be decoded") {
			e.Message = "the request body is not valid JSON"
		}
		setCode(e, fault.BadUserInput)
	case errors.Is(err, scalar.ErrInvalid):
		setCode(e, fault.BadUserInput)
	case strings.HasPrefix(e.Message, "cannot decode cursor"):
		// entgql's Cursor refuses a cursor it did not make.
		e.Message = "the cursor is not valid: pass one this API returned"
		setCode(e, fault.BadUserInput)
	case strings.Contains(err.Error(), "ent: empty predicate "):
		// The generated where inputs read {} as "every row" (Hasura's rule),
		// so this is only a guard for a caller of P() that forgot to.
		e.Message = "the filter is empty; leave it out"
		setCode(e, fault.BadUserInput)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The request's time ran out, or its client left (a closed socket):
		// not a fault of ours, and a mutation's transaction rolls back.
		e.Message = "the request ended before it finished: its time limit passed or its client left; retry"
		setCode(e, fault.Timeout)
	case ent.IsNotFound(err):
		e.Message = "not found"
		setCode(e, fault.NotFound)
	case ent.IsConstraintError(err):
		e.Message = "conflicts with existing data"
		setCode(e, fault.Conflict)
	case database.SQLState(err) == "25P02":
		// A failure of an earlier field aborted the mutation's transaction
		// on PostgreSQL (25P02); mutationTx leaves this out beside that
		// failure.
		e.Message = notRun
		setCode(e, fault.Conflict)
	case database.RolledBack(err):
		// PostgreSQL broke a deadlock between two writers (40P01), or a
		// serializable transaction met a concurrent one (40001), by rolling
		// this one back.
		e.Message = "a concurrent change met this one, which was rolled back and not written; retry"
		setCode(e, fault.Conflict)
	case errors.Is(err, privacy.Deny):
		e.Message = "forbidden"
		setCode(e, fault.Forbidden)
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
	setCode(masked, fault.Internal)
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

// maxErrors caps the errors of one response, as graphql-js caps validation
// errors: 5,000 unknown directives in a 10 kB request would otherwise make
// a 1.5 MB answer.
const maxErrors = 100

// responseErrors is the outermost response interceptor: it cuts the errors
// at maxErrors, with a last entry saying how many were left out, and tells
// the HTTP layer when a request failed before execution (no data).
type responseErrors struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = responseErrors{}

func (responseErrors) ExtensionName() string                   { return "ResponseErrors" }
func (responseErrors) Validate(graphql.ExecutableSchema) error { return nil }

func (responseErrors) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if n := len(resp.Errors); n > maxErrors {
		last := &gqlerror.Error{Message: fmt.Sprintf("too many errors: %d more were left out", n-maxErrors)}
		setCode(last, fault.TooManyErrors)
		resp.Errors = append(resp.Errors[:maxErrors:maxErrors], last)
	}
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok && resp.Data == nil && len(resp.Errors) > 0 {
		x.noData = true
		// Apollo Client sends the query text after this answer, and takes
		// a 4xx for a server without persisted queries: keep it 200.
		x.keepStatus = resp.Errors[0].Extensions["code"] == fault.PersistedQueryNotFound
	}
	return resp
}

// notRun answers a mutation field that did not run because an earlier
// field failed: the operation's transaction was rolled back.
const notRun = "not run: an earlier field of this mutation failed, so the whole mutation was rolled back and nothing of it was written"
