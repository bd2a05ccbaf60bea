package search

import (
	"database/sql"
	"encoding/binary"
	"math"

	"github.com/mattn/go-sqlite3"
)

// SQLiteDriver is the database/sql driver name of SQLite with the rank
// function that search queries use; internal/database opens SQLite with it.
const SQLiteDriver = "sqlite3_kokeilu"

func init() {
	sql.Register(SQLiteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			return c.RegisterFunc("kokeilu_bm25", bm25, true)
		},
	})
}

// BM25 parameters, the usual ones.
const (
	k1 = 1.2
	b  = 0.75
)

// bm25 ranks an FTS4 row from matchinfo(t, 'pcnalx'): the sum over query
// terms and columns of weight × idf × saturated term frequency, as FTS5's
// bm25() does (FTS4 has no ranking function of its own). weights are per
// column: title, body. Larger is better.
func bm25(info []byte, weights ...float64) float64 {
	at := func(i int) float64 {
		if 4*i+4 > len(info) {
			return 0
		}
		return float64(binary.NativeEndian.Uint32(info[4*i:]))
	}
	phrases, cols := int(at(0)), int(at(1))
	rows := at(2)
	avg := 3           // a: average tokens per column, from index 3
	length := 3 + cols // l: this row's tokens per column
	hits := 3 + 2*cols // x: 3 numbers per phrase and column
	score := 0.0
	for p := 0; p < phrases; p++ {
		for c := 0; c < cols; c++ {
			x := hits + 3*(p*cols+c)
			tf, docs := at(x), at(x+2)
			if tf == 0 {
				continue
			}
			w := 1.0
			if c < len(weights) {
				w = weights[c]
			}
			idf := math.Log(1 + (rows-docs+0.5)/(docs+0.5))
			norm := 1 - b + b*at(length+c)/math.Max(at(avg+c), 1)
			score += w * idf * tf * (k1 + 1) / (tf + k1*norm)
		}
	}
	return score
}
