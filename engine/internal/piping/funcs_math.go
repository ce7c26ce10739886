package piping

import (
	"fmt"
	"math"
)

// fnAdd implements $Add(a, b, ...): the sum. Numbers and digit strings
// count; the result is an int64 when it is integral, else a float64.
func fnAdd(p ...any) (any, error) { return arith(p, false) }

// fnSubtract implements $Subtract(a, b, ...): the first minus the rest.
func fnSubtract(p ...any) (any, error) { return arith(p, true) }

// arith adds or subtracts p[1:], keeping exact int64 arithmetic while every
// value is an integer and nothing overflows.
func arith(p []any, subtract bool) (any, error) {
	ref := p[0].(string)
	var acc int64
	var facc float64
	isInt := true
	for i, v := range p[1:] {
		n, ok := toNumber(v)
		if !ok {
			return nil, fail(ref, ErrType, fmt.Sprintf("%s is not a number", describe(v)))
		}
		if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
			return nil, fail(ref, ErrType, fmt.Sprintf("%s is not a finite number", describe(v)))
		}
		neg := subtract && i > 0
		if isInt && n.isInt {
			x := n.i
			if neg {
				if x == math.MinInt64 {
					isInt, facc = false, float64(acc)-float64(x)
					continue
				}
				x = -x
			}
			if s := acc + x; (x > 0 && s < acc) || (x < 0 && s > acc) {
				isInt, facc = false, float64(acc)+float64(x)
				continue
			}
			acc += x
			continue
		}
		if isInt {
			isInt, facc = false, float64(acc)
		}
		if neg {
			facc -= n.float()
		} else {
			facc += n.float()
		}
	}
	if isInt {
		return acc, nil
	}
	if math.IsInf(facc, 0) {
		return nil, fail(ref, ErrRange, "the result is too large")
	}
	return floatValue(facc), nil
}
