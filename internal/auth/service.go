package auth

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"kokeilu/ent"
	"kokeilu/ent/session"
	"kokeilu/ent/user"
	"kokeilu/internal/fault"
	"kokeilu/internal/text"
)

// lookupAttempts is how often a session lookup is tried when the
// database fails it.
const lookupAttempts = 4

// DefaultTTL is how long a sign-in lasts unless configured otherwise.
const DefaultTTL = 30 * 24 * time.Hour

// MinPasswordLen is the shortest password accepted at registration.
const MinPasswordLen = 10

// Service registers users, signs them in and out, and authenticates tokens.
type Service struct {
	client  *ent.Client
	ttl     time.Duration
	admins  map[string]bool
	limiter *loginLimiter
	dummy   string // a hash to check against when an email is unknown
	now     func() time.Time
}

// NewService returns the account service. adminEmails are the site
// administrators (KOKEILU_ADMINS), compared trimmed and lower-cased. Only
// SyncAdmins, run at start, grants or takes site administration: an account
// registered while the server runs is never an administrator until the next
// start (anyone could register a listed email that has no account yet).
func NewService(client *ent.Client, ttl time.Duration, adminEmails []string) (*Service, error) {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	dummy, err := HashPassword("not a password of anyone")
	if err != nil {
		return nil, err
	}
	admins := map[string]bool{}
	for _, e := range adminEmails {
		admins[normalizeEmail(e)] = true
	}
	return &Service{client: client, ttl: ttl, admins: admins, limiter: newLoginLimiter(), dummy: dummy, now: time.Now}, nil
}

// Session is a fresh sign-in: the token is shown once and stored as a hash.
type Session struct {
	Token     string
	User      *ent.User
	ExpiresAt time.Time
}

// Register creates an account and signs it in.
func (s *Service) Register(ctx context.Context, email, password, displayName string) (*Session, error) {
	email = normalizeEmail(email)
	if err := validateEmail(email); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > 1000 {
		return nil, fault.BadInput("password", "a password has %d to 1000 characters", MinPasswordLen)
	}
	// The longest display name and email are the ent schema's (User).
	displayName, err := text.Human("displayName", displayName, true)
	if err != nil {
		return nil, err
	}
	// The hash is slow (argon2) and is made before any transaction: the
	// API runs register outside the mutation's transaction so that it never
	// holds the database's writer (SQLite has one) while hashing.
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	if ent.TxFromContext(ctx) == nil {
		tx, err := s.client.Tx(ctx)
		if err != nil {
			return nil, err
		}
		sess, err := s.createAccount(ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx), email, hash, displayName)
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		return sess, nil
	}
	return s.createAccount(ctx, email, hash, displayName)
}

// createAccount stores a new user and its first session, in ctx's
// transaction.
func (s *Service) createAccount(ctx context.Context, email, hash, displayName string) (*Session, error) {
	c := s.clientFrom(ctx)
	sys := System(ctx)
	taken, err := c.User.Query().Where(user.Email(email)).Exist(sys)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, fault.Conflictf("an account with this email exists")
	}
	u, err := c.User.Create().SetEmail(email).SetPasswordHash(hash).SetDisplayName(displayName).
		Save(sys)
	if ent.IsConstraintError(err) {
		return nil, fault.Conflictf("an account with this email exists")
	}
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u)
}

// Login signs a user in. Failures say nothing about whether the email is
// registered and take as long either way. The attempt is counted before the
// password is checked (see loginLimiter): guesses at one account from one
// address are refused after a few, an account's failures from anywhere
// only slow it down, so nobody can lock its owner out.
func (s *Service) Login(ctx context.Context, email, password string) (*Session, error) {
	email = normalizeEmail(email)
	a, wait, retryIn, refused := s.limiter.reserve(s.now(), email, remoteIP(ctx))
	if refused {
		secs := int(math.Ceil(retryIn.Seconds()))
		return nil, fault.RateLimitedf("too many failed sign-ins to this account from this address; try again in %d s", secs)
	}
	u, err := s.checkPassword(ctx, email, password, wait)
	switch {
	case err != nil:
		a.abandoned()
		return nil, err
	case u == nil:
		return nil, fault.Unauthenticatedf("invalid email or password")
	}
	a.succeeded()
	return s.startSession(ctx, u)
}

// checkPassword waits, then returns the user whose password it is, or nil.
func (s *Service) checkPassword(ctx context.Context, email, password string, wait time.Duration) (*ent.User, error) {
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	u, err := s.clientFrom(ctx).User.Query().Where(user.Email(email)).Only(System(ctx))
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	hash := s.dummy
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := CheckPassword(hash, password)
	if err != nil || !ok || u == nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) startSession(ctx context.Context, u *ent.User) (*Session, error) {
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	expires := s.now().Add(s.ttl)
	err = s.clientFrom(ctx).Session.Create().SetTokenHash(hashToken(token)).SetUserID(u.ID).
		SetExpiresAt(expires).Exec(System(ctx))
	if err != nil {
		return nil, err
	}
	return &Session{Token: token, User: u, ExpiresAt: expires}, nil
}

// Logout revokes the token the request was made with.
func (s *Service) Logout(ctx context.Context) error {
	hash, ok := ctx.Value(tokenHashKey{}).(string)
	if !ok || FromContext(ctx) == nil {
		return fault.Unauthenticatedf("sign in first")
	}
	_, err := s.clientFrom(ctx).Session.Delete().Where(session.TokenHash(hash)).Exec(System(ctx))
	return err
}

// Authenticate returns the viewer of a token, or UNAUTHENTICATED when it is
// unknown, revoked or expired.
func (s *Service) Authenticate(ctx context.Context, token string) (*Viewer, error) {
	var sess *ent.Session
	var err error
	// A read is safe to repeat: a connection the database dropped (a
	// restart, a failover) fails its next query once, and the pool then
	// replaces it; each retry may meet another such connection.
	for range lookupAttempts {
		sess, err = s.client.Session.Query().
			Where(session.TokenHash(hashToken(token)), session.ExpiresAtGT(s.now())).
			WithUser().Only(System(ctx))
		if err == nil || ent.IsNotFound(err) || ctx.Err() != nil {
			break
		}
	}
	if ent.IsNotFound(err) {
		return nil, fault.Unauthenticatedf("the token is invalid or has expired; sign in again")
	}
	if err != nil {
		return nil, err
	}
	return &Viewer{ID: sess.Edges.User.ID, Admin: sess.Edges.User.IsAdmin}, nil
}

// SyncAdmins makes site administration follow the configured list, both
// ways: listed accounts that exist now become administrators, every other
// account stops being one. Run it at start.
func (s *Service) SyncAdmins(ctx context.Context) error {
	emails := make([]string, 0, len(s.admins))
	for e := range s.admins {
		emails = append(emails, e)
	}
	revoke := s.client.User.Update().Where(user.IsAdmin(true))
	if len(emails) == 0 {
		return revoke.SetIsAdmin(false).Exec(System(ctx))
	}
	if err := revoke.Where(user.EmailNotIn(emails...)).SetIsAdmin(false).Exec(System(ctx)); err != nil {
		return err
	}
	return s.client.User.Update().Where(user.EmailIn(emails...), user.IsAdmin(false)).SetIsAdmin(true).Exec(System(ctx))
}

// clientFrom prefers the transaction of a GraphQL mutation.
func (s *Service) clientFrom(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.client
}

type (
	tokenHashKey struct{}
	remoteIPKey  struct{}
)

// Gate lets the server take part in Middleware's token check. All are
// optional.
type Gate struct {
	// Admit runs before a token is looked up; false means it has answered
	// the request itself (the rate limiter refuses a client whose made-up
	// tokens used up its budget, before they cost a database query).
	Admit func(w http.ResponseWriter, r *http.Request) bool
	// Refused learns of a token that did not authenticate.
	Refused func(r *http.Request)
	// Unavailable answers a request whose token could not be checked
	// (the database failed after Authenticate's retries); by default 503
	// UNAVAILABLE with Retry-After.
	Unavailable func(w http.ResponseWriter, r *http.Request)
}

// Middleware authenticates "Authorization: Bearer <token>". No header means
// anonymous; a bad token is refused with 401, so clients know to sign in; a
// token the database could not check is answered 503 (g.Unavailable).
func (s *Service) Middleware(g Gate, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ctx = context.WithValue(ctx, remoteIPKey{}, host)
		}
		if header := r.Header.Get("Authorization"); header != "" {
			if g.Admit != nil && !g.Admit(w, r) {
				return
			}
			var err error
			if ctx, err = s.WithToken(ctx, header); err != nil {
				if f, ok := fault.As(err); ok {
					if g.Refused != nil {
						g.Refused(r)
					}
					w.Header().Set("WWW-Authenticate", `Bearer realm="kokeilu"`)
					fault.WriteHTTP(w, http.StatusUnauthorized, f.Code, f.Message, nil)
					return
				}
				slog.ErrorContext(ctx, "authenticate", "err", err)
				if g.Unavailable != nil {
					g.Unavailable(w, r)
				} else {
					WriteUnavailable(w, nil)
				}
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WriteUnavailable answers 503 UNAVAILABLE with Retry-After: 1: the
// database could not be reached; nothing was done, and a retry may succeed.
func WriteUnavailable(w http.ResponseWriter, extra map[string]any) {
	w.Header().Set("Retry-After", "1")
	fault.WriteHTTP(w, http.StatusServiceUnavailable, fault.Unavailable, "the database is unavailable; retry shortly", extra)
}

// WithToken authenticates an Authorization value ("Bearer <token>") into
// ctx; WebSocket connection_init payloads use it too. A fault error means
// the token is refused; any other error, that it could not be checked.
func (s *Service) WithToken(ctx context.Context, authorization string) (context.Context, error) {
	token, ok := bearerToken(authorization)
	if !ok {
		return ctx, fault.Unauthenticatedf(`use "Authorization: Bearer <token>"`)
	}
	v, err := s.Authenticate(ctx, token)
	if err != nil {
		return ctx, err
	}
	ctx = context.WithValue(ctx, tokenHashKey{}, hashToken(token))
	return WithViewer(ctx, v), nil
}

func remoteIP(ctx context.Context) string {
	ip, _ := ctx.Value(remoteIPKey{}).(string)
	return ip
}

func normalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validateEmail(email string) error {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return fault.BadInput("email", "%q is not an email address", email)
	}
	return nil
}

// SetTTL changes how long new sign-ins last.
func (s *Service) SetTTL(ttl time.Duration) { s.ttl = ttl }
