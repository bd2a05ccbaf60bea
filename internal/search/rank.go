package search

import (
	"database/sql"
	"encoding/binary"
	"math"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/mattn/go-sqlite3"
)

// SQLiteDriver is the database/sql driver name of SQLite with the rank
// function that search queries use and a Unicode lower(); internal/database
// opens SQLite with it.
const SQLiteDriver = "sqlite3_kokeilu"

func init() {
	sql.Register(SQLiteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if err := c.RegisterFunc("kokeilu_bm25", bm25, true); err != nil {
				return err
			}
			// SQLite's own lower() folds ASCII alone, so ent's …Fold
			// filters (lower(column) LIKE lower-cased pattern) missed Ä,
			// Ö and Å; this one folds as Go does, after NFC, as
			// PostgreSQL's ILIKE matches.
			return c.RegisterFunc("lower", unicodeLower, true)
		},
	})
}

// unicodeLower is SQL lower() of text; NULL, numbers and blobs pass as
// they are.
func unicodeLower(v any) any {
	if s, ok := v.(string); ok {
		return strings.ToLower(norm.NFC.String(s))
	}
	return v
}

// k1 is BM25's term-frequency saturation, the usual value.
const k1 = 1.2

// Column weights: a hit in a title or name counts ten times one in a body
// (the FTS4 columns are title and body as written, then by Finnish stems,
// then by Swedish stems).
var columnWeights = [...]float64{10, 1, 10, 1, 10, 1}

// bm25 ranks an FTS4 row from matchinfo(t, 'pcx') and the number of
// documents: the sum over query terms and columns of weight × idf ×
// saturated term frequency, as FTS5's bm25() does (FTS4 has none of its
// own) but without length normalisation: its 'a' and 'l' matchinfo data
// cost a document-size lookup per row, and the Go call itself is the other
// half of the cost, so the function takes as little as it can. Larger is
// better.
func bm25(info []byte, documents int64) float64 {
	at := func(i int) float64 {
		if 4*i+4 > len(info) {
			return 0
		}
		return float64(binary.NativeEndian.Uint32(info[4*i:]))
	}
	phrases, cols := int(at(0)), int(at(1))
	n := float64(documents)
	score := 0.0
	for p := 0; p < phrases; p++ {
		for c := 0; c < cols && c < len(columnWeights); c++ {
			x := 2 + 3*(p*cols+c) // hits in this row, in all rows, rows with hits
			tf, docs := at(x), at(x+2)
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (n-docs+0.5)/(docs+0.5))
			score += columnWeights[c] * idf * tf * (k1 + 1) / (tf + k1)
		}
	}
	return score
}
