package noticeboard

import (
	"context"

	"kokeilu/ent"
)

// Delivery is the contract between the board and the transport that
// carries one subscription to its client. The transport puts it on the
// context of the operation (WithDelivery); Board.Subscribe, called by the
// subscription's resolver with that context, finds it there — the resolver
// in between knows nothing of transports.
//
// The board calls Attach, Wake and Overflow from its own goroutines while
// it fans a notice out to every subscriber: they must return at once and
// never block (no network write, no database query).
type Delivery interface {
	// Feed is the channel the subscription is to read instead of joining
	// the board, when the transport already holds the notices and only
	// wants them rendered (a render group's own execution); nil to join.
	Feed() <-chan *ent.Notice
	// Attach hands over the subscription's channel, once, before any
	// notice is put on it, so that the transport may read it itself.
	Attach(notices <-chan *ent.Notice)
	// Wake is called after each notice is put on the channel and once
	// after the channel is closed: the transport reads it then, instead of
	// parking a goroutine on every idle subscription.
	Wake()
	// Overflow is called once when the subscriber fell too far behind
	// (its buffer of notices is full); the channel is closed right after.
	// The transport ends the connection with reason, so that its client
	// reconnects and resumes with after.
	Overflow(reason string)
}

type deliveryKey struct{}

// WithDelivery makes d the Delivery of subscriptions made with ctx.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DeliveryOf returns the Delivery of ctx, or nil.
func DeliveryOf(ctx context.Context) Delivery {
	d, _ := ctx.Value(deliveryKey{}).(Delivery)
	return d
}

// CutOff is the Delivery of a transport that reads the subscription's
// channel on a goroutine of its own (gqlgen's SSE): the board only has to
// tell it when to end the stream.
type CutOff func(reason string)

func (CutOff) Feed() <-chan *ent.Notice  { return nil }
func (CutOff) Attach(<-chan *ent.Notice) {}
func (CutOff) Wake()                     {}
func (f CutOff) Overflow(reason string)  { f(reason) }
