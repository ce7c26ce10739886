package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// series is one line of a chart panel.
type series struct {
	name   string
	colour color.RGBA
	ys     []float64
}

// panel is one chart: a title, a unit and its lines over the same xs.
type panel struct {
	title string
	lines []series
}

var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
}

// drawSoak draws the soak's memory, disk and latency over time, one panel
// each, into a PNG file.
func drawSoak(path string, rep *SoakReport) error {
	xs := make([]float64, len(rep.Samples))
	get := func(f func(SoakSample) float64) []float64 {
		out := make([]float64, len(rep.Samples))
		for i, s := range rep.Samples {
			out[i] = f(s)
		}
		return out
	}
	for i, s := range rep.Samples {
		xs[i] = s.Seconds
	}
	// The disk panel: the total and the three largest streams at the end.
	var names []string
	if n := len(rep.Samples); n > 0 {
		for name := range rep.Samples[n-1].DiskMiB {
			if name != "total" {
				names = append(names, name)
			}
		}
		last := rep.Samples[n-1].DiskMiB
		sort.Slice(names, func(i, j int) bool { return last[names[i]] > last[names[j]] })
	}
	disk := []series{{"total", palette[0], get(func(s SoakSample) float64 { return s.DiskMiB["total"] })}}
	for i, name := range names[:min(3, len(names))] {
		disk = append(disk, series{name, palette[i+1], get(func(s SoakSample) float64 { return s.DiskMiB[name] })})
	}
	panels := []panel{
		{fmt.Sprintf("memory (MiB) at %d events/s", rep.Rate), []series{
			{"jobd RSS (engine + embedded NATS)", palette[0], get(func(s SoakSample) float64 { return s.RSSMiB })},
			{"Go heap in use", palette[2], get(func(s SoakSample) float64 { return s.HeapMiB })},
			{"plugin RSS", palette[3], get(func(s SoakSample) float64 { return s.PluginMiB })},
		}},
		{"data folder (MiB)", disk},
		{"latency, publish to result (ms)", []series{
			{"p50", palette[2], get(func(s SoakSample) float64 { return s.P50MS })},
			{"p99", palette[1], get(func(s SoakSample) float64 { return s.P99MS })},
		}},
	}
	const w, ph = 900, 260
	img := image.NewRGBA(image.Rect(0, 0, w, ph*len(panels)))
	fill(img, img.Bounds(), color.RGBA{0xff, 0xff, 0xff, 0xff})
	for i, p := range panels {
		drawPanel(img, image.Rect(0, i*ph, w, (i+1)*ph), p, xs)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func drawPanel(img *image.RGBA, r image.Rectangle, p panel, xs []float64) {
	plot := image.Rect(r.Min.X+70, r.Min.Y+30, r.Max.X-20, r.Max.Y-40)
	grey := color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	black := color.RGBA{0, 0, 0, 0xff}
	xmax, ymax := 1.0, 1.0
	for _, x := range xs {
		xmax = max(xmax, x)
	}
	for _, s := range p.lines {
		for _, y := range s.ys {
			ymax = max(ymax, y)
		}
	}
	ymax = niceCeil(ymax * 1.05)
	text(img, r.Min.X+70, r.Min.Y+18, p.title, black)
	// Axes and grid: five horizontal lines with their values.
	for k := 0; k <= 4; k++ {
		y := plot.Max.Y - k*plot.Dy()/4
		hline(img, plot.Min.X, plot.Max.X, y, grey)
		text(img, r.Min.X+5, y+4, fmt.Sprintf("%6.0f", ymax*float64(k)/4), black)
	}
	for k := 0; k <= 5; k++ {
		x := plot.Min.X + k*plot.Dx()/5
		vline(img, x, plot.Min.Y, plot.Max.Y, grey)
		text(img, x-10, plot.Max.Y+16, fmt.Sprintf("%.0fs", xmax*float64(k)/5), black)
	}
	px := func(x float64) int { return plot.Min.X + int(x/xmax*float64(plot.Dx())) }
	py := func(y float64) int { return plot.Max.Y - int(y/ymax*float64(plot.Dy())) }
	lx := plot.Min.X + 10
	for _, s := range p.lines {
		for j := 1; j < len(xs) && j < len(s.ys); j++ {
			line(img, px(xs[j-1]), py(s.ys[j-1]), px(xs[j]), py(s.ys[j]), s.colour)
		}
		fill(img, image.Rect(lx, r.Max.Y-18, lx+14, r.Max.Y-8), s.colour)
		text(img, lx+18, r.Max.Y-8, s.name, black)
		lx += 18 + 7*len(s.name) + 24 // basicfont's glyphs are 7 pixels wide
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// line draws a two-pixel line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
