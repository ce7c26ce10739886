package main

import (
	"math"
	"sort"
	"time"
)

// Figure is one measured quantity over the repetitions.
type Figure struct {
	Name    string    `json:"name"`
	Group   string    `json:"group"`
	Unit    string    `json:"unit"`
	Median  float64   `json:"median"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Samples []float64 `json:"samples"`
	Note    string    `json:"note,omitempty"`
}

func newFigure(group, name, unit string, samples []float64) Figure {
	f := Figure{Name: name, Group: group, Unit: unit, Samples: samples}
	if len(samples) == 0 {
		f.Median, f.Min, f.Max = math.NaN(), math.NaN(), math.NaN()
		return f
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	f.Min, f.Max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		f.Median = s[n/2]
	} else {
		f.Median = (s[n/2-1] + s[n/2]) / 2
	}
	return f
}

// percentile returns the p-th percentile (0..100) of sorted durations by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// perSecond returns n per elapsed second.
func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return math.NaN()
	}
	return float64(n) / d.Seconds()
}
