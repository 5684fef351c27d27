package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"
)

// Bar is one bar of a chart: its value and the key drawn under it.
type Bar struct {
	Key   string // digits, '.', '%', '-' and spaces; others are left out
	Value int    // 0 or more
}

// The geometry of a chart: margins around the plot, in pixels.
const (
	marginTop    = 24 // room for the values above the bars
	marginBottom = 24 // room for the keys under them
	marginSide   = 12
	maxBars      = 12
)

// MaxBars is how many bars a chart draws; Bars drops the rest.
const MaxBars = maxBars

var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x39, 0x3b, 0x79, 0xff}, {0xad, 0x49, 0x4a, 0xff},
}

// Color is the colour of bar i, for the legend beside the image (as
// #rrggbb with Hex).
func Color(i int) color.RGBA { return palette[i%len(palette)] }

// Hex is c as #rrggbb.
func Hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x33, 0x33, 0x33, 0xff}
)

// Layout is where the bars of a width×height chart go: one rectangle per
// bar (at most MaxBars), the tallest reaching the top of the plot, a bar
// of 0 empty. Bars stand on the plot's floor, Plot.Max.Y.
func Layout(bars []Bar, width, height int) (plot image.Rectangle, rects []image.Rectangle) {
	plot = image.Rect(marginSide, marginTop, width-marginSide, height-marginBottom)
	bars = bars[:min(len(bars), maxBars)]
	if len(bars) == 0 || plot.Dx() <= 0 || plot.Dy() <= 0 {
		return plot, nil
	}
	top := 0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	slot := plot.Dx() / len(bars)
	gap := slot / 5
	for i, b := range bars {
		h := 0
		if top > 0 && b.Value > 0 {
			h = (b.Value*plot.Dy() + top/2) / top
		}
		x := plot.Min.X + i*slot + gap/2
		rects = append(rects, image.Rect(x, plot.Max.Y-h, x+slot-gap, plot.Max.Y))
	}
	return plot, rects
}

// PNG draws bars as a width×height bar chart and writes it as a PNG:
// bar i in Color(i), its value above it, its key below it, on a white
// ground with a base line.
func PNG(w io.Writer, bars []Bar, width, height int) error {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{background}, image.Point{}, draw.Src)
	plot, rects := Layout(bars, width, height)
	draw.Draw(img, image.Rect(plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y+1), &image.Uniform{ink}, image.Point{}, draw.Src)
	for i, r := range rects {
		draw.Draw(img, r, &image.Uniform{Color(i)}, image.Point{}, draw.Src)
		mid := (r.Min.X + r.Max.X) / 2
		text(img, strconv.Itoa(bars[i].Value), mid, r.Min.Y-4-glyphH*scale)
		text(img, bars[i].Key, mid, plot.Max.Y+6)
	}
	return png.Encode(w, img)
}

// The built-in font: 3×5 pixel glyphs, drawn scale times larger.
const (
	glyphW = 3
	glyphH = 5
	scale  = 2
)

// glyphs are rows of 3 bits, top first, most significant bit left.
var glyphs = map[rune][glyphH]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7}, '4': {5, 5, 7, 1, 1},
	'5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1}, '8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7},
	'.': {0, 0, 0, 0, 2}, '-': {0, 0, 7, 0, 0}, '%': {5, 1, 2, 4, 5}, ' ': {},
}

// text draws s centred on x with its top at y, in ink.
func text(img *image.RGBA, s string, x, y int) {
	var rs []rune
	for _, r := range s {
		if _, ok := glyphs[r]; ok {
			rs = append(rs, r)
		}
	}
	adv := (glyphW + 1) * scale
	x -= (len(rs)*adv - scale) / 2
	for _, r := range rs {
		g := glyphs[r]
		for row := range glyphH {
			for col := range glyphW {
				if g[row]&(1<<(glyphW-1-col)) != 0 {
					px := image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale)
					draw.Draw(img, px, &image.Uniform{ink}, image.Point{}, draw.Src)
				}
			}
		}
		x += adv
	}
}
