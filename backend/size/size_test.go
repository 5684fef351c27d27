package size

import "testing"

func TestText(t *testing.T) {
	for n, want := range map[int64]string{20 << 20: "20 MB", 3 << 19: "1.5 MB", 1<<20 + 1: "1.0 MB", 300 << 10: "300 KB", 12: "12 B"} {
		if got := Text(n); got != want {
			t.Errorf("Text(%d) = %q, want %q", n, got, want)
		}
	}
}
