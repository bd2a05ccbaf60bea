package graph

import (
	"bytes"
	"io"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalDataSizedLikeTheLast: the answer is the data's bytes whatever
// the last one's size was, and the room made for it stays within the cap.
func TestMarshalDataSizedLikeTheLast(t *testing.T) {
	answer := func(n int) graphql.Marshaler {
		return graphql.WriterFunc(func(w io.Writer) { w.Write(bytes.Repeat([]byte("x"), n)) })
	}
	for _, n := range []int{0, 10, 27000, 3, 200000, 5, 70000, 70000} {
		got := marshalData(answer(n))
		if len(got) != n || bytes.Count(got, []byte("x")) != n {
			t.Fatalf("answer of %d bytes came as %d", n, len(got))
		}
		if n <= maxAnswerHint && cap(got) > 2*maxAnswerHint {
			t.Errorf("an answer of %d bytes took %d", n, cap(got))
		}
	}
}
