package export

import (
	"encoding/csv"
	"io"
	"regexp"
)

// CSV writes the rows of every CSV export (pilots, graph nodes and edges)
// with each cell neutralised against CSV injection as OWASP advises: a
// cell starting with =, +, -, @, a tab or a carriage return would be read
// by spreadsheets as a formula, so it gets a leading apostrophe ('), which
// they show as text. Numbers ("-1.5") are left alone: they are no formula.
type CSV struct {
	w   *csv.Writer
	row []string
}

// NewCSV writes CSV to w.
func NewCSV(w io.Writer) *CSV { return &CSV{w: csv.NewWriter(w)} }

// Write writes one row.
func (c *CSV) Write(cells []string) error {
	c.row = c.row[:0]
	for _, s := range cells {
		c.row = append(c.row, Cell(s))
	}
	return c.w.Write(c.row)
}

// Flush writes out what is buffered and reports any error so far.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// Cell is s as a CSV cell that no spreadsheet runs as a formula.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if number.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// number is a plain decimal number, the only cells starting with + or -
// left as they are.
var number = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
