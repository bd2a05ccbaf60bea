// Package fault names the kinds of failure a client can act on. Every layer
// returns these (ent hooks and privacy rules included) and the GraphQL error
// presenter maps them to extensions.code in one place. Every extensions.code
// Kokeilu sends is a constant here.
package fault

import (
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql/errcode"
)

// The codes clients act on: stable API, listed in the README (extensions.code).
const (
	BadUserInput    = "BAD_USER_INPUT"
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	NotFound        = "NOT_FOUND"
	Conflict        = "CONFLICT"
	RateLimited     = "RATE_LIMITED"
	Internal        = "INTERNAL"
	// Unavailable answers a request the database could not serve (its
	// connections dropped, an outage): nothing was done; retry after
	// Retry-After.
	Unavailable = "UNAVAILABLE"
	// CostLimitExceeded refuses a request over a limit of internal/cost,
	// with extensions.measure, cost and limit.
	CostLimitExceeded = "COST_LIMIT_EXCEEDED"
	// Timeout answers a request whose deadline passed, or whose client
	// left, before it ran or while it ran; nothing of it is stored. Retry.
	Timeout = "TIMEOUT"
	// TooManyErrors is the last entry of a response whose other errors
	// were cut at the cap.
	TooManyErrors = "TOO_MANY_ERRORS"
	// ParseFailed and ValidationFailed are gqlgen's codes for a document
	// that does not parse or does not validate against the schema.
	ParseFailed      = errcode.ParseFailed
	ValidationFailed = errcode.ValidationFailed
	// PersistedQueryNotFound is the Automatic Persisted Queries protocol's
	// answer to an unknown hash (sent by gqlgen's APQ extension): the
	// client then sends the query text.
	PersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
)

// Error is a failure with a code, a message for people and, for bad input,
// the input field at fault.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, fault.ErrForbidden) match any Forbidden error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Field == ""
}

// Sentinels for errors.Is.
var (
	ErrBadUserInput    = &Error{Code: BadUserInput}
	ErrUnauthenticated = &Error{Code: Unauthenticated}
	ErrForbidden       = &Error{Code: Forbidden}
	ErrNotFound        = &Error{Code: NotFound}
	ErrConflict        = &Error{Code: Conflict}
	ErrRateLimited     = &Error{Code: RateLimited}
)

// BadInput reports a wrong value of an input field (named as in GraphQL).
func BadInput(field, format string, args ...any) error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticatedf reports a missing or invalid sign-in.
func Unauthenticatedf(format string, args ...any) error {
	return &Error{Code: Unauthenticated, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf reports a signed-in user who may not do what was asked.
func Forbiddenf(format string, args ...any) error {
	return &Error{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports something that does not exist, or not for this viewer.
func NotFoundf(format string, args ...any) error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflictf reports a clash with what is stored (a taken email, a duplicate).
func Conflictf(format string, args ...any) error {
	return &Error{Code: Conflict, Message: fmt.Sprintf(format, args...)}
}

// RateLimitedf reports too many attempts.
func RateLimitedf(format string, args ...any) error {
	return &Error{Code: RateLimited, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
