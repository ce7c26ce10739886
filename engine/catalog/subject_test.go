package catalog

import (
	"reflect"
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
	got := minimalSubjects(jobs)
	want := []string{"events.>", "orders.*", "users.signup"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("minimalSubjects = %v, want %v", got, want)
	}
}
