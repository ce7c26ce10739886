package main_test

import (
	"fmt"
	"strings"
	"testing"
)

// as returns the site with the jobd commands signing in as user.
func (s *site) as(user, password string) *site {
	c := *s
	c.env = append(append([]string(nil), s.env...), "JOBD_NATS__USER="+user, "JOBD_NATS__PASSWORD="+password)
	return &c
}

// jobd run on every interface with no users exits 2 and says how to add
// them.
func TestRunRefusesUnprotectedListen(t *testing.T) {
	s := newSite(t, "")
	s.env = append(s.env, fmt.Sprintf("JOBD_NATS__LISTEN=0.0.0.0:%d", s.natsPort))
	_, errOut, code := s.jobd("run")
	if code != 2 || !strings.Contains(errOut, "[[nats.users]]") || !strings.Contains(errOut, "nats.listen") {
		t.Fatalf("exit %d, stderr %q; want 2 and how to configure users", code, errOut)
	}
}

// The commands sign in with the configuration's credentials, and a call
// the role does not allow is refused at once with the reason.
func TestCommandsSignInWithTheirRole(t *testing.T) {
	s := newSite(t, `
[[nats.users]]
user = "view"
password = "$Secret{VIEW_PW}"
role = "viewer"
[[nats.users]]
user = "ops"
password = "ops-pw"
role = "operator"
`)
	s.env = append(s.env, "JOBD_SECRET_VIEW_PW=view-pw")
	s.start()

	if _, errOut, code := s.jobd("jobs", "ls"); code == 0 {
		t.Errorf("jobs ls without credentials succeeded: %s", errOut)
	}
	viewer := s.as("view", "$Secret{VIEW_PW}")
	if out, errOut, code := viewer.jobd("jobs", "ls"); code != 0 {
		t.Errorf("viewer: jobs ls: exit %d %s %s", code, out, errOut)
	}
	_, errOut, code := viewer.jobd("dlq", "purge")
	if code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Errorf("viewer: dlq purge: exit %d, %q; want 1 and permission denied", code, errOut)
	}
	_, errOut, code = viewer.jobd("jobs", "cancel", "nope")
	if code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Errorf("viewer: jobs cancel: exit %d, %q; want 1 and permission denied", code, errOut)
	}
	// The operator reaches jobd, which says the job does not exist.
	if _, errOut, code := s.as("ops", "ops-pw").jobd("jobs", "cancel", "nope"); code != 2 || strings.Contains(errOut, "permission") {
		t.Errorf("operator: jobs cancel: exit %d, %q; want jobd's not found", code, errOut)
	}
}
