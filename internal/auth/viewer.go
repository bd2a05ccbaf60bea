// Package auth is Kokeilu's accounts: password hashing, bearer tokens stored
// only as hashes, sessions that expire, login throttling, and the viewer
// that every request carries into the data layer's privacy policies.
package auth

import (
	"context"

	"entgo.io/ent/privacy"
)

// Viewer is the signed-in user of a request.
type Viewer struct {
	ID    int
	Admin bool // site administrator
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of ctx, or nil when anonymous.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// System returns ctx in which privacy policies allow everything: for the
// server's own work (seeding, sign-in bookkeeping), never for a request.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
