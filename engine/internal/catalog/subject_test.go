package catalog

import (
	"reflect"
	"strconv"
	"testing"
)

func TestSubjectMatches(t *testing.T) {
	cases := []struct {
		pattern, subject string
		want             bool
	}{
		{"events.booking.created", "events.booking.created", true},
		{"events.booking.created", "events.booking.updated", false},
		{"events.*.created", "events.booking.created", true},
		{"events.*.created", "events.booking.x.created", false},
		{"events.>", "events.booking.created", true},
		{"events.>", "events", false},
		{"events.booking", "events.booking.created", false},
		{"*", "a", true},
		{"*", "a.b", false},
	}
	for _, tc := range cases {
		if got := SubjectMatches(tc.pattern, tc.subject); got != tc.want {
			t.Errorf("SubjectMatches(%q, %q) = %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}

func TestMinimalSubjects(t *testing.T) {
	jobs := []*Job{
		{On: []string{"events.booking.created", "orders.*"}},
		{On: []string{"events.>", "orders.paid", "users.signup"}},
		{On: []string{"users.signup"}},
	}
	got := minimalSubjects(jobs, nil)
	want := []string{"events.>", "orders.*", "users.signup"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("minimalSubjects = %v, want %v", got, want)
	}
}

func TestMatchCacheIsBounded(t *testing.T) {
	c := &Catalog{jobs: []*Job{{Event: "a", On: []string{"orders.*.paid"}}}}
	for i := 0; i < maxCachedSubjects+500; i++ {
		subject := "orders." + strconv.Itoa(i) + ".paid"
		if got := c.Match(subject); len(got) != 1 || got[0].Event != "a" {
			t.Fatalf("Match(%s) = %v", subject, got)
		}
	}
	if n := c.cached.Load(); n != maxCachedSubjects {
		t.Fatalf("%d subjects cached, want the bound %d", n, maxCachedSubjects)
	}
	if got := c.Match("orders.x.shipped"); len(got) != 0 {
		t.Fatalf("an uncached non-matching subject matched %v", got)
	}
}
