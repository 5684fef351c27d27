package chart_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/deskbot/deskbot/backend/chart"
)

// TestPNG decodes the image and measures each bar by its colour: the
// tallest reaches the top of the plot, the others in proportion, a bar of
// 0 is not drawn, and the values and keys are drawn in ink.
func TestPNG(t *testing.T) {
	const width, height = 400, 248 // a plot 200 pixels high
	bars := []chart.Bar{{Key: "1", Value: 8}, {Key: "2", Value: 4}, {Key: "3", Value: 2}, {Key: "4", Value: 0}}
	var buf bytes.Buffer
	if err := chart.PNG(&buf, bars, width, height); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("size = %v, want %dx%d", b, width, height)
	}
	same := func(c color.Color, want color.RGBA) bool {
		r, g, b, _ := c.RGBA()
		return uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B
	}
	// bar measures the pixels of colour c: their columns and height.
	bar := func(c color.RGBA) (cols, tallest int) {
		for x := range width {
			h := 0
			for y := range height {
				if same(img.At(x, y), c) {
					h++
				}
			}
			if h > 0 {
				cols++
				tallest = max(tallest, h)
			}
		}
		return cols, tallest
	}
	for i, want := range []int{200, 100, 50, 0} {
		cols, h := bar(chart.Color(i))
		if h != want || (want > 0) != (cols > 0) {
			t.Errorf("bar %d (value %d): %d pixels high in %d columns, want %d high", i, bars[i].Value, h, cols, want)
		}
	}
	plot, rects := chart.Layout(bars, width, height)
	if plot.Dy() != 200 || len(rects) != 4 {
		t.Fatalf("layout = %v, %v", plot, rects)
	}
	// The first bar stands on the base line and has its value above it
	// and its key under it, in ink (not white, not its colour).
	r := rects[0]
	ink := func(area image.Rectangle) int {
		n := 0
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				if !same(img.At(x, y), color.RGBA{0xff, 0xff, 0xff, 0xff}) && !same(img.At(x, y), chart.Color(0)) {
					n++
				}
			}
		}
		return n
	}
	if !same(img.At(r.Min.X, r.Max.Y-1), chart.Color(0)) || !same(img.At(r.Min.X, r.Min.Y), chart.Color(0)) {
		t.Error("the first bar is not where Layout puts it")
	}
	if n := ink(image.Rect(r.Min.X, 0, r.Max.X, r.Min.Y)); n == 0 {
		t.Error("no value above the first bar")
	}
	if n := ink(image.Rect(r.Min.X, plot.Max.Y+2, r.Max.X, height)); n == 0 {
		t.Error("no key under the first bar")
	}
}

func TestEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := chart.PNG(&buf, nil, 200, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	_, rects := chart.Layout(make([]chart.Bar, 20), 400, 200)
	if len(rects) != chart.MaxBars {
		t.Errorf("%d bars drawn of 20, want %d", len(rects), chart.MaxBars)
	}
}
