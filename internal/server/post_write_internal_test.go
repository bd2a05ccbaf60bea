package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"pgregory.net/rapid"
)

// markupText draws strings rich in what json.HTMLEscape changes (<, >, &,
// U+2028, U+2029) beside other multi-byte characters.
func markupText() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		parts := rapid.SliceOfN(rapid.SampledFrom([]string{"<", ">", "&", "\u2028", "\u2029", "ä", "€", "𝄞", "a", `"`, `\`, "\n", "\u2027", "\u202a"}), 0, 40).Draw(t, "parts")
		var b bytes.Buffer
		for _, p := range parts {
			b.WriteString(p)
		}
		return b.String()
	})
}

// TestWriteReplyIsJSONMarshal: writeReply writes a response byte for byte
// as json.Marshal (gqlgen's writer) does, errors, markup and extensions
// included, whether the data is written whole or escaped piece by piece;
// and an answer without data comes in one write (specStatus reads it whole).
func TestWriteReplyIsJSONMarshal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		values := rapid.SliceOfN(markupText(), 0, 30).Draw(t, "values")
		r := &graphql.Response{}
		if rapid.Bool().Draw(t, "data") {
			var data bytes.Buffer
			enc := json.NewEncoder(&data)
			enc.SetEscapeHTML(false) // as the executor writes it
			if err := enc.Encode(map[string]any{"names": values}); err != nil {
				t.Fatal(err)
			}
			r.Data = bytes.TrimSpace(data.Bytes())
		}
		if rapid.Bool().Draw(t, "errors") || r.Data == nil {
			r.Errors = gqlerror.List{{Message: markupText().Draw(t, "message"), Extensions: map[string]any{"code": "BAD_USER_INPUT"}}}
		}
		if rapid.Bool().Draw(t, "extensions") {
			r.Extensions = map[string]any{"cost": map[string]any{"note": markupText().Draw(t, "note")}}
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var got writes
		writeReply(&got, r)
		if !bytes.Equal(got.all.Bytes(), want) {
			t.Fatalf("writeReply:\n%s\njson.Marshal:\n%s", got.all.Bytes(), want)
		}
		if r.Data == nil && got.n != 1 {
			t.Fatalf("an answer without data came in %d writes", got.n)
		}
	})
}

// TestHTMLEscapedInPieces: the data escaped in pieces of any size is
// json.HTMLEscape's whole escape (no character cut at a piece's end).
func TestHTMLEscapedInPieces(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := []byte(markupText().Draw(t, "data"))
		window := rapid.IntRange(1, 64).Draw(t, "window")
		var want bytes.Buffer
		json.HTMLEscape(&want, data)
		var got writes
		writeHTMLEscaped(&got, data, window)
		if !bytes.Equal(got.all.Bytes(), want.Bytes()) {
			t.Fatalf("window %d: %q, want %q", window, got.all.Bytes(), want.Bytes())
		}
	})
}

// writes keeps what is written and counts the writes.
type writes struct {
	all bytes.Buffer
	n   int
}

func (w *writes) Write(p []byte) (int, error) {
	w.n++
	return w.all.Write(p)
}
