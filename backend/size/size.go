// Package size writes byte counts for people, the same way in every
// channel, page and language.
package size

import "strconv"

// Text renders n: "20 MB", "1.5 MB", "1.0 MB" (a byte over 1 MB),
// "300 KB", "12 B" (MB = 2^20 bytes).
func Text(n int64) string {
	switch {
	case n%(1<<20) == 0 && n > 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
