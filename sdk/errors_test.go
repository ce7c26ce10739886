package sdk_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

func TestPermanent(t *testing.T) {
	if sdk.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
	base := errors.New("bad input")
	err := fmt.Errorf("save: %w", sdk.Permanent(base))
	if !sdk.IsPermanent(err) || !errors.Is(err, base) || err.Error() != "save: bad input" {
		t.Errorf("Permanent wrapped: IsPermanent %v, Is %v, %q", sdk.IsPermanent(err), errors.Is(err, base), err)
	}
	if sdk.IsPermanent(base) || sdk.IsPermanent(nil) {
		t.Error("an unmarked error is permanent")
	}
	if _, ok := sdk.RetryDelay(err); ok {
		t.Error("a permanent error asks for a delay")
	}
}

func TestRetryAfter(t *testing.T) {
	if sdk.RetryAfter(nil, time.Second) != nil {
		t.Error("RetryAfter(nil) is not nil")
	}
	base := errors.New("rate limited")
	err := fmt.Errorf("call: %w", sdk.RetryAfter(base, 3*time.Second))
	if d, ok := sdk.RetryDelay(err); !ok || d != 3*time.Second {
		t.Errorf("RetryDelay = %v, %v, want 3s", d, ok)
	}
	if !errors.Is(err, base) || err.Error() != "call: rate limited" || sdk.IsPermanent(err) {
		t.Errorf("RetryAfter wrapped: Is %v, %q, permanent %v", errors.Is(err, base), err, sdk.IsPermanent(err))
	}
	if d, ok := sdk.RetryDelay(base); ok || d != 0 {
		t.Errorf("RetryDelay of an unmarked error = %v, %v", d, ok)
	}
}
