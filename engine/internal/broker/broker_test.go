package broker

import (
	"errors"
	"testing"
)

func TestServerVersionCheck(t *testing.T) {
	for v, ok := range map[string]bool{"2.15.2": true, "2.12.0": true, "3.0.0": true, "2.11.9": false, "2.10.22": false, "1.4.1": false, "weird": true} {
		err := checkVersion(v)
		if ok != (err == nil) {
			t.Errorf("checkVersion(%q) = %v", v, err)
		}
		if err != nil && !errors.Is(err, ErrServerVersion) {
			t.Errorf("checkVersion(%q) = %v, not ErrServerVersion", v, err)
		}
	}
}
