package config

import (
	"fmt"
	"net"
	"strconv"
)

// checkAddress checks a host:port listen address ("127.0.0.1:4222",
// ":8222", "[::1]:0"); empty is allowed when optional.
func checkAddress(ps *Problems, path, addr string, optional bool) {
	if addr == "" {
		if !optional {
			ps.Add(path, "required: a host:port address such as 127.0.0.1:4222")
		}
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		ps.Add(path, "%q is not a host:port address (such as 127.0.0.1:4222 or :4222): %v", addr, addrReason(err))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ps.Add(path, "%q: the port %q is not a number from 0 to 65535", addr, port)
		return
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		ps.Add(path, "%q: %q is neither an IP address nor a host name", addr, host)
	}
}

func addrReason(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return fmt.Sprint(err)
}

// validHostname reports whether s is a DNS name: labels of letters, digits
// and hyphens.
func validHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			label++
			if label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0
}
