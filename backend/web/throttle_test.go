package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"203.0.113.7:5555", "", "203.0.113.7"},
		{"203.0.113.7:5555", "198.51.100.1", "203.0.113.7"}, // not from a proxy of ours: ignored
		{"127.0.0.1:5555", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.2:5555", "1.2.3.4, 198.51.100.1", "198.51.100.1"}, // the entry our proxy added
		{"10.0.0.2:5555", "not-an-ip", "10.0.0.2"},
		{"[::1]:5555", "", "::1"},
	} {
		r := httptest.NewRequest("POST", "/console/login", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r); got != tc.want {
			t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}
