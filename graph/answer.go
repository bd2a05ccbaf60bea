package graph

import (
	"bytes"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// lastAnswer is the size in bytes of the last answer marshalData wrote.
var lastAnswer atomic.Int64

// maxAnswerHint caps the room marshalData makes before writing: a small
// answer after a large one takes at most this much it does not use.
const maxAnswerHint = 64 << 10

// marshalData writes a query's or mutation's data into a buffer that
// starts with the last answer's size (seqlists puts it in place of
// gqlgen's empty bytes.Buffer): grown from empty, a dashboard's 27 kB
// answer took nine allocations and twice its size in buffers.
func marshalData(data graphql.Marshaler) []byte {
	hint := lastAnswer.Load()
	buf := bytes.NewBuffer(make([]byte, 0, min(hint+hint/8, maxAnswerHint)))
	data.MarshalGQL(buf)
	lastAnswer.Store(int64(buf.Len()))
	return buf.Bytes()
}
