package config

import (
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:4222": true, "127.0.0.2:4222": true, "127.255.0.9:0": true, "[::1]:4222": true, "localhost:4222": true,
		"0.0.0.0:4222": false, ":4222": false, "[::]:4222": false, "10.0.0.5:4222": false, "192.168.1.2:4222": false,
		"nats.example.com:4222": false, "[2001:db8::1]:4222": false,
	} {
		if got := IsLoopback(listen); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", listen, got, want)
		}
	}
}

func TestNATSAuth(t *testing.T) {
	const nkey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
	for _, c := range []struct {
		name, toml, want string // want "" means valid
	}{
		{"loopback needs no users", `[nats]
listen = "127.0.0.1:4222"`, ""},
		{"everywhere without users is refused", `[nats]
listen = "0.0.0.0:4222"`, `nats.listen: "0.0.0.0:4222" listens beyond this machine with no authentication`},
		{"empty host is everywhere", `[nats]
listen = ":4222"`, "[[nats.users]]"},
		{"a server of its own needs nothing here", `[nats]
url = "nats://10.0.0.1:4222"
listen = "0.0.0.0:4222"`, ""},
		{"users protect it", `[nats]
listen = "0.0.0.0:4222"
[[nats.users]]
user = "ops"
password = "$Secret{OPS}"
role = "operator"
[[nats.users]]
nkey = "` + nkey + `"
role = "producer"`, ""},
		{"a single user protects it", `[nats]
listen = "0.0.0.0:4222"
user = "a"
password = "b"`, ""},
		{"unknown role", `[[nats.users]]
user = "a"
password = "b"
role = "admin"`, `nats.users[0].role: "admin" is not one of "producer", "viewer", "operator"`},
		{"password required", `[[nats.users]]
user = "a"
role = "viewer"`, "nats.users[0].password: required"},
		{"bad nkey", `[[nats.users]]
nkey = "SU123"
role = "viewer"`, "nats.users[0].nkey: must be a user's public nkey"},
		{"token and users", `[nats]
token = "t"
[[nats.users]]
user = "a"
password = "b"
role = "viewer"`, "nats.token: cannot be used with [[nats.users]]"},
		{"twice", `[[nats.users]]
user = "a"
password = "b"
role = "viewer"
[[nats.users]]
user = "a"
password = "c"
role = "operator"`, `nats.users[1]: "a" appears twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.toml+"\n"+oneJob), nil)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one with %q", err, c.want)
			}
		})
	}
}
