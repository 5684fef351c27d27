package telegram

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestCatalog: every telegram.* key the code uses has a text in zh-CN and
// en, and both languages have the same keys.
func TestCatalog(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	if m := cat.Missing(); len(m) > 0 {
		t.Fatalf("missing translations: %v", m)
	}
	files, _ := filepath.Glob("*.go")
	keyRE := regexp.MustCompile(`"(telegram\.[a-z_.]+[a-z_])"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(src), -1) {
			if !cat.Has(m[1]) {
				t.Errorf("%s: %s has no text in every language", f, m[1])
			}
		}
	}
	for _, a := range []string{"return", "ask", "resolve", "transfer", "propose", "delay", "plan"} {
		for _, p := range []string{"telegram.prompt.", "telegram.done."} {
			if !cat.Has(p + a) {
				t.Errorf("%s%s is missing", p, a)
			}
		}
	}
	for _, b := range []string{"claim", "return", "ask", "status", "sev", "xfer", "resolve", "back"} {
		if !cat.Has("telegram.btn." + b) {
			t.Errorf("telegram.btn.%s is missing", b)
		}
	}
}
