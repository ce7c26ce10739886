package config

import (
	"fmt"
	"net"
	"strings"
)

// Roles of [[nats.users]]: what a user of the embedded server may do.
const (
	// RoleProducer may publish events on the jobs' trigger subjects only.
	RoleProducer = "producer"
	// RoleViewer may make the read-only management calls (jobs.list,
	// jobs.get, jobs.history, dlq.list, dlq.get, stats) and subscribe to
	// the result and failure subjects.
	RoleViewer = "viewer"
	// RoleOperator may do what a viewer may, make every management call,
	// dispatch jobs, and take backups.
	RoleOperator = "operator"
)

// NATSUser is one [[nats.users]] entry: a client account of the embedded
// server, with a password or an nkey, and a role.
type NATSUser struct {
	// User is the user name, given with Password.
	User string `koanf:"user"`
	// Password of User; write "$Secret{KEY}" to keep it out of the file.
	Password string `koanf:"password"`
	// NKey is a user's public nkey ("U…") instead of User and Password;
	// the client signs with the seed (nats.nkey_seed).
	NKey string `koanf:"nkey"`
	// Role is RoleProducer, RoleViewer or RoleOperator.
	Role string `koanf:"role"`
}

// IsLoopback reports whether a listen address (host:port) accepts
// connections from this machine only: 127.0.0.0/8, ::1 or "localhost".
// An empty host, 0.0.0.0 and :: listen everywhere.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// HasAuth reports whether the embedded server would ask clients for
// credentials.
func (n NATS) HasAuth() bool {
	return len(n.Users) > 0 || n.Token != "" || n.User != ""
}

// UnprotectedListenMsg says how to protect a non-loopback nats.listen.
const UnprotectedListenMsg = `listens beyond this machine with no authentication, so anyone who can reach it may publish events and cancel, replay or purge jobs; ` +
	`add users with roles, for example [[nats.users]] user = "ops", password = "$Secret{NATS_OPS}", role = "operator" (roles: producer, viewer, operator; ` +
	`or nkey = "U…" instead of user and password), set nats.user and nats.password to what the jobd commands should use, or listen on 127.0.0.1`

func (c *Config) validateNATSAuth(ps *Problems) {
	n := c.NATS
	if n.URL == "" && !IsLoopback(n.Listen) && !n.HasAuth() {
		ps.Add("nats.listen", "%q %s", n.Listen, UnprotectedListenMsg)
	}
	if len(n.Users) > 0 && n.Token != "" {
		ps.Add("nats.token", "cannot be used with [[nats.users]]: give the users, and the jobd commands the credentials of one of them")
	}
	seen := map[string]bool{}
	for i, u := range n.Users {
		path := fmt.Sprintf("nats.users[%d]", i)
		switch {
		case u.NKey != "" && (u.User != "" || u.Password != ""):
			ps.Add(path, "give user and password, or nkey, not both")
		case u.NKey != "":
			if !strings.HasPrefix(u.NKey, "U") || len(u.NKey) != 56 {
				ps.Add(path+".nkey", "must be a user's public nkey (56 characters starting with U), got %q", u.NKey)
			}
		case u.User == "":
			ps.Add(path, "give user and password, or nkey")
		case u.Password == "":
			ps.Add(path+".password", "required with user (write \"$Secret{KEY}\" to keep it out of this file)")
		}
		if id := u.User + u.NKey; id != "" {
			if seen[id] {
				ps.Add(path, "%q appears twice", id)
			}
			seen[id] = true
		}
		oneOf(ps, path+".role", u.Role, RoleProducer, RoleViewer, RoleOperator)
	}
}
