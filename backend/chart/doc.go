// Package chart draws the report's bar charts (DESIGN §7) as PNG images
// with the standard library alone (image, image/draw, image/png).
//
// With no font module (DESIGN §9 lists the allowed ones) the image holds
// no words: each bar is drawn in its own colour (Color) with its value
// above it and its key (1, 2, 3 …) below it, and the page or message
// beside the image names each key in the reader's language.
//
// chart imports only the standard library.
package chart
