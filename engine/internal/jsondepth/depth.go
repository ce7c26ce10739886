// Package jsondepth measures how deeply a JSON text nests, in one pass over
// its bytes, before anything decodes it.
//
// Decoders spend far more than linear time on deep nesting: the JSON
// decoder jobd uses took 0.5 s on an event 5,000 levels deep and 50 s on
// one 40,000 deep (80 KB), stalling every other event meanwhile. A scan
// that counts brackets outside strings costs one read of each byte, so a
// limit checked this way keeps decoding linear in the size of any event.
package jsondepth

import "fmt"

// Exceeds reports whether data nests objects and arrays more than max
// levels deep: `{}` and `[]` are one level, `{"a":[1]}` two, a scalar
// zero. It reads each byte at most once, skips the contents of strings
// (escapes included, so `"[\"["` counts nothing), and stops at the first
// level past max. It does not validate: text that is not JSON is left for
// the decoder to refuse; a stray closing bracket never lowers the count
// below zero, so it cannot hide openers that follow.
func Exceeds(data []byte, max int) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++ // the escaped byte, whatever it is
				}
			}
		case '{', '[':
			depth++
			if depth > max {
				return true
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return false
}

// Error is the reason a text nesting too deep is refused.
type Error struct {
	// What names the text: "the body", "input", "the plugin's output".
	What string
	// Max is the limit.
	Max int
	// Key is the configuration key that sets Max.
	Key string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s nests objects and arrays more than %d levels deep (%s); flatten it or raise the limit", e.What, e.Max, e.Key)
}

// Check returns an *Error when data nests more than max levels deep; a max
// of 0 or less checks nothing.
func Check(data []byte, max int, what, key string) error {
	if max > 0 && Exceeds(data, max) {
		return &Error{What: what, Max: max, Key: key}
	}
	return nil
}
