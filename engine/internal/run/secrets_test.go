package run

import (
	"slices"
	"testing"
)

// Secrets are scrubbed longest first (so "Bearer S3CR3T" goes whole before
// "S3CR3T" alone), each once, empty ones never.
func TestScrubOrder(t *testing.T) {
	got := scrubOrder([]string{"aaaa", "", "zz-long-secret", "S3CR3T", "Bearer S3CR3T", "S3CR3T", "bbbb"})
	want := []string{"zz-long-secret", "Bearer S3CR3T", "S3CR3T", "aaaa", "bbbb"}
	if !slices.Equal(got, want) {
		t.Errorf("scrubOrder = %q, want %q", got, want)
	}
}
