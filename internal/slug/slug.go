// Package slug makes URL keys of names.
package slug

import "strings"

// MaxLen is the longest slug stored.
const MaxLen = 80

// Make makes a slug of a name: "Työllisyyden kuntakokeilut 2021–2024"
// becomes "tyollisyyden-kuntakokeilut-2021-2024".
func Make(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch r {
		case 'ä', 'å', 'á', 'à':
			r = 'a'
		case 'ö', 'ø', 'ó':
			r = 'o'
		case 'é', 'è':
			r = 'e'
		case 'ü':
			r = 'u'
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if b.Len() >= MaxLen {
				break
			}
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
