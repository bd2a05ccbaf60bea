package text

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"kokeilu/internal/fault"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxAddress is the limit of every web address, in characters of the
// address as sent (after Clean and trimming). The normal form is never
// longer than what was sent, except where IDNA maps one host character to
// several (U+3392 "㎒" is "mhz"); the column holds it either way.
const MaxAddress = 2048

// AddressColumns are the ent fields that hold a web address, with their
// GraphQL names. ent/schema wires the rule to each (webAddress, which
// refuses a name not listed here) and a hook of every client
// (internal/integrity.WebAddresses) stores each in its normal form,
// whatever path writes it.
var AddressColumns = map[string]string{"url": "url", "website": "website", "source_url": "sourceURL", "online_url": "onlineURL"}

// WebAddress checks an optional http(s) address (empty passes) and returns
// it in its normal form; field is its GraphQL name. The length is counted
// on s, what was sent (at most MaxAddress characters), on every field.
//
// The normal form is an IRI (RFC 3987) that reads as it was typed:
//   - the scheme in lower case (http or https);
//   - the host validated and in its Unicode form: a DNS name whose labels
//     are letters, digits and inner hyphens after IDNA (UTS #46, the
//     lookup profile of golang.org/x/net/idna), mapped to lower case, with
//     punycode labels shown decoded ("xn--kknen-graa.fi" is "ääkkönen.fi");
//     or an IPv4 address as a dotted quad; or an IPv6 address in brackets,
//     in its canonical form. A name whose last label is a number
//     ("1.2.3.4.5", "0x7f.1") is refused: browsers read it as an IPv4
//     address in another notation;
//   - the port, if any, as a decimal from 1 to 65535;
//   - path, query and fragment as sent, in NFC, characters outside ASCII
//     kept as they are (never percent-encoded), percent-escapes decoded
//     when they spell an unreserved character (letters, digits, "-._~") or
//     a visible one outside ASCII in UTF-8 ("%C3%B6" is "ö"), the others
//     in upper case ("%2f" is "%2F").
//     ASCII characters a URI cannot hold (space, quotes, "<>\^`{|}",
//     control characters) and invisible ones are refused, not escaped: the
//     address is kept as readable as sent, and never longer.
//
// A client that needs an ASCII URI converts the host with IDNA ToASCII and
// percent-encodes the rest as UTF-8, as browsers do.
func WebAddress(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if n := Len(s); n > MaxAddress {
		return "", TooLong(field, n, MaxAddress)
	}
	return normalAddress(field, s)
}

// WebAddressRule is the ent field validator of a stored address: valid
// and in its normal form (the hook of every client normalises before ent
// validates, so only a client without it can be refused for the form).
func WebAddressRule(field string) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		n, err := normalAddress(field, s)
		if err != nil {
			return err
		}
		if n != s {
			return fault.BadInput(field, "%s is not in its normal form %q", field, n)
		}
		return nil
	}
}

func badAddress(field string) error {
	return fault.BadInput(field, "%s must be an http or https address", field)
}

// normalAddress is WebAddress without the length rule.
func normalAddress(field, s string) (string, error) {
	s = norm.NFC.String(s)
	scheme, rest, ok := strings.Cut(s, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return "", badAddress(field)
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if strings.Contains(authority, "@") {
		// A password in a shared address is disclosed to every reader; a
		// user name alone is the same form (and a phishing trick).
		return "", fault.BadInput(field, "%s must not carry a user name or password", field)
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", badAddress(field)
		}
		host, port = authority[:end+1], authority[end+1:]
		if port != "" && port[0] != ':' {
			return "", badAddress(field)
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i:]
	}
	if host == "" {
		return "", badAddress(field)
	}
	if port == ":" {
		return "", fault.BadInput(field, "%s has an empty port; leave out the colon or give a port from 1 to 65535", field)
	}
	if port != "" {
		p := port[1:]
		n, err := strconv.Atoi(p)
		if err != nil || strings.ContainsAny(p, "+-") || n < 1 || n > 65535 {
			return "", fault.BadInput(field, "%s has port %s; a port is 1 to 65535", field, p)
		}
		port = ":" + strconv.Itoa(n)
	}
	h, ok := normalHost(host)
	if !ok {
		return "", fault.BadInput(field, "%s has no valid host: give a domain name (letters, digits and hyphens between dots), an IPv4 address (1.2.3.4) or an IPv6 address in brackets", field)
	}
	t, ok := normalTail(tail)
	if !ok {
		return "", fault.BadInput(field, "%s contains a space, a quote, one of <>\\^`{|}, a control or invisible character or a lone %%: percent-encode it (%%20 for a space)", field)
	}
	return scheme + "://" + h + port + t, nil
}

// hostProfile is IDNA's lookup profile (UTS #46 nontransitional mapping,
// letters, digits and hyphens only, the bidi and joiner rules) checking
// the DNS lengths: no empty label, none over 63, at most 253 in all.
var hostProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false), idna.VerifyDNSLength(true))

// normalHost returns the normal form of a host (see WebAddress).
func normalHost(host string) (string, bool) {
	if strings.HasPrefix(host, "[") {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if err != nil || !a.Is6() || a.Zone() != "" || !strings.HasSuffix(host, "]") {
			return "", false
		}
		return "[" + a.String() + "]", true
	}
	ascii, err := hostProfile.ToASCII(host)
	if err != nil || ascii == "" {
		return "", false
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	if last := labels[len(labels)-1]; numeric(last) {
		// An IPv4 address, then only as a dotted quad of decimals.
		a, err := netip.ParseAddr(ascii)
		if err != nil || !a.Is4() {
			return "", false
		}
		return a.String(), true
	}
	u, err := hostProfile.ToUnicode(ascii)
	if err != nil {
		return "", false
	}
	return u, true
}

// numeric tells a label browsers read as a number: decimal digits, or
// hexadecimal after 0x.
func numeric(l string) bool {
	if strings.HasPrefix(l, "0x") {
		l = l[2:]
		return strings.Trim(l, "0123456789abcdef") == ""
	}
	return l != "" && strings.Trim(l, "0123456789") == ""
}

// normalTail returns the normal form of path, query and fragment (see
// WebAddress), or false if they hold a character a URI cannot.
func normalTail(t string) (string, bool) {
	var b strings.Builder
	fragment := false
	for i := 0; i < len(t); {
		c := t[i]
		switch {
		case c == '%':
			if i+2 >= len(t) || !ishex(t[i+1]) || !ishex(t[i+2]) {
				return "", false
			}
			v := unhex(t[i+1])<<4 | unhex(t[i+2])
			if r, n := escapedRune(t[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
			if unreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(t[i+1 : i+3]))
			}
			i += 3
			continue
		case c == '#':
			if fragment {
				return "", false
			}
			fragment = true
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(t[i:])
			if invisible(r) {
				return "", false
			}
			b.WriteString(t[i : i+n])
			i += n
			continue
		case !unreserved(c) && !strings.ContainsRune("!$&'()*+,;=:@/?[]", rune(c)):
			return "", false
		}
		b.WriteByte(c)
		i++
	}
	return norm.NFC.String(b.String()), true
}

// escapedRune decodes the percent-escapes at the start of s if they spell
// one visible character outside ASCII in UTF-8 ("%C3%B6" is "ö"), so that
// an address typed with the character and one copied with its escapes
// have one normal form; n is 0 otherwise.
func escapedRune(s string) (r rune, n int) {
	var buf []byte
	for len(buf) < utf8.UTFMax && len(s) >= 3*(len(buf)+1) {
		e := s[3*len(buf):]
		if e[0] != '%' || !ishex(e[1]) || !ishex(e[2]) {
			break
		}
		buf = append(buf, unhex(e[1])<<4|unhex(e[2]))
		if utf8.FullRune(buf) {
			break
		}
	}
	r, size := utf8.DecodeRune(buf)
	if r < utf8.RuneSelf || r == utf8.RuneError || size != len(buf) || invisible(r) || r == 0xFFFE || r == 0xFFFF {
		return 0, 0
	}
	return r, 3 * size
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
