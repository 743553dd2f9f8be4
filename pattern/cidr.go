package pattern

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// ipRange is an inclusive range of addresses of one family (4 or 16 bytes).
type ipRange struct {
	lo, hi []byte
}

func (r ipRange) contains(ip []byte) bool {
	return len(ip) == len(r.lo) && bytes.Compare(ip, r.lo) >= 0 && bytes.Compare(ip, r.hi) <= 0
}

// looksLikeIP applies EventBridge's shape test: four dot-separated digit
// runs, or hex digits and colons with at least one colon. Only strings of
// that shape are ever treated as addresses.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte(s, ':') >= 0 {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	parts := 0
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			run++
		case c == '.' && run > 0:
			parts++
			run = 0
		default:
			return false
		}
	}
	return run > 0 && parts == 3
}

// parseIP returns the address bytes of s (4 for IPv4, including IPv4-mapped
// IPv6, else 16), or nil if s is not an address.
func parseIP(s string) []byte {
	if !looksLikeIP(s) {
		return nil
	}
	if strings.IndexByte(s, ':') < 0 {
		var out [4]byte
		for i, part := range strings.Split(s, ".") {
			if len(part) > 3 {
				return nil
			}
			v, err := strconv.Atoi(part)
			if err != nil || v > 255 {
				return nil
			}
			out[i] = byte(v)
		}
		return out[:]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	if a.Is4In6() {
		b := a.Unmap().As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

// ipBytes is parseIP with EventBridge's error messages.
func ipBytes(s string) ([]byte, error) {
	if !looksLikeIP(s) {
		return nil, fail("Nonstandard IP address: " + s)
	}
	ip := parseIP(s)
	if ip == nil {
		return nil, fail("Invalid IP address: " + s)
	}
	return ip, nil
}

// parseCIDR parses a cidr operand the way EventBridge does, including its
// refusal of /32 and /128 masks.
func parseCIDR(s string) (ipRange, error) {
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" { // as Java's String.split
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return ipRange{}, fail("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.ParseInt(parts[1], 10, 32)
	if err != nil {
		return ipRange{}, fail("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return ipRange{}, fail("Malformed CIDR, mask bits must not be negative")
	}
	ip, err := ipBytes(parts[0])
	if err != nil {
		return ipRange{}, err
	}
	if len(ip) == 4 && bits > 31 {
		return ipRange{}, fail("IPv4 mask bits must be < 32")
	}
	if len(ip) == 16 && bits > 127 {
		return ipRange{}, fail("IPv6 mask bits must be < 128")
	}
	lo := make([]byte, len(ip))
	hi := make([]byte, len(ip))
	for i := range ip {
		fixed := int(bits) - 8*i // leading bits of this byte that are fixed
		var mask byte
		switch {
		case fixed >= 8:
			mask = 0xff
		case fixed > 0:
			mask = ^byte(0xff >> fixed)
		}
		lo[i] = ip[i] & mask
		hi[i] = ip[i] | ^mask
	}
	return ipRange{lo: lo, hi: hi}, nil
}
