package export_test

import (
	"testing"

	"kokeilu/internal/export"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"Plain":                  "Plain",
		"=1+1":                   "'=1+1",
		`=HYPERLINK("x","y")`:    `'=HYPERLINK("x","y")`,
		"+cmd":                   "'+cmd",
		"-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
		"@SUM(A1)":               "'@SUM(A1)",
		"\t=1":                   "'\t=1",
		"\r=1":                   "'\r=1",
		"-1.5":                   "-1.5", // a number is no formula
		"+3e2":                   "+3e2",
		"-inf":                   "'-inf",
		"a=b":                    "a=b",
	} {
		if got := export.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
