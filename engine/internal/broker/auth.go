package broker

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// User is a client account of the embedded server, its password resolved.
type User struct {
	Name     string
	Password string
	// NKey is the public nkey of a user who signs in with its seed.
	NKey string
	// Role is config.RoleProducer, RoleViewer or RoleOperator.
	Role string
}

// Auth is who may use the embedded server beyond jobd itself.
type Auth struct {
	// Users with their roles; none leaves authentication to nats.token or
	// nats.user, or to nobody on a loopback address.
	Users []User
	// Triggers are the subjects producers may publish on (the jobs' on
	// subjects).
	Triggers []string
}

// Read-only management endpoints: what a viewer may call.
var viewerEndpoints = []string{
	wire.EndpointJobsList, wire.EndpointJobsGet, wire.EndpointJobsHistory,
	wire.EndpointDLQList, wire.EndpointDLQGet, wire.EndpointStats,
}

// Subjects a client subscribes to for replies: request–reply and
// JetStream publish acknowledgements answer on the client's inbox.
const inbox = "_INBOX.>"

// outSubjects are jobd's outgoing subjects, which viewers may read.
var outSubjects = []string{wire.ResultSubjectPrefix + ">", wire.FailedSubjectPrefix + ">"}

// backupAPI is the JetStream API a backup (jobd backup) and a restore
// (jobd restore) use: listing and reading jobd's streams, snapshots and
// restores.
var backupAPI = []string{
	"$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.>",
	"$JS.API.STREAM.SNAPSHOT.>", "$JS.SNAPSHOT.ACK.>",
	"$JS.API.STREAM.RESTORE.>", "$JS.SNAPSHOT.RESTORE.>",
}

// Permissions returns the NATS permissions of a role. Producers publish
// events; viewers make read-only management calls and read results;
// operators make every management call, dispatch jobs and take backups.
func Permissions(role string, triggers []string) *server.Permissions {
	switch role {
	case config.RoleProducer:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: append([]string(nil), triggers...)},
			Subscribe: &server.SubjectPermission{Allow: []string{inbox}},
		}
	case config.RoleViewer:
		pub := []string{"$SRV.>"}
		for _, ep := range viewerEndpoints {
			pub = append(pub, wire.APISubject(ep))
		}
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: pub},
			Subscribe: &server.SubjectPermission{Allow: append([]string{inbox}, outSubjects...)},
		}
	case config.RoleOperator:
		pub := append([]string{wire.APIPrefix + ".>", wire.DispatchSubject, "$SRV.>"}, backupAPI...)
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: pub},
			Subscribe: &server.SubjectPermission{Allow: append([]string{inbox}, outSubjects...)},
		}
	}
	// An unknown role may do nothing (config validation refuses it).
	return &server.Permissions{Publish: &server.SubjectPermission{Deny: []string{">"}}, Subscribe: &server.SubjectPermission{Deny: []string{">"}}}
}

// internalUser is jobd's own account on an embedded server with users: it
// may do everything, and its password is new at every start.
func internalUser() (*server.User, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	return &server.User{Username: "_jobd_engine", Password: hex.EncodeToString(b)}, nil
}

// applyAuth configures opts' accounts: jobd's own plus a.Users with the
// permissions of their roles. It returns jobd's own account.
func applyAuth(opts *server.Options, a Auth) (*server.User, error) {
	if len(a.Users) == 0 {
		return nil, nil
	}
	self, err := internalUser()
	if err != nil {
		return nil, err
	}
	opts.Users = []*server.User{self}
	for _, u := range a.Users {
		perms := Permissions(u.Role, a.Triggers)
		if u.NKey != "" {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: u.NKey, Permissions: perms})
			continue
		}
		opts.Users = append(opts.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: perms})
	}
	return self, nil
}
