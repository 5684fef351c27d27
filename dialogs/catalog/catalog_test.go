package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func mustNew(tb testing.TB, opts ...Option) *Catalog {
	tb.Helper()
	c, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestComplete fails if a message id is in one language and not the other,
// or has an empty text.
func TestComplete(t *testing.T) {
	c := mustNew(t)
	for loc, ids := range c.Missing() {
		t.Errorf("%s is missing %d message(s): %s", loc, len(ids), strings.Join(ids, ", "))
	}
	for _, loc := range c.Locales() {
		if len(c.IDs(loc)) < 100 {
			t.Errorf("%s has only %d messages; did the embedded file load?", loc, len(c.IDs(loc)))
		}
		for _, id := range c.IDs(loc) {
			if strings.TrimSpace(c.T(loc, id, nil)) == "" {
				t.Errorf("%s: %s is empty", loc, id)
			}
		}
	}
}

var rePlaceholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// TestPlaceholders: both languages of a message use the same {{.Data}}
// fields, so the code fills them all.
func TestPlaceholders(t *testing.T) {
	c := mustNew(t)
	raw := map[string]map[string]string{}
	for _, loc := range c.Locales() {
		raw[loc] = readRaw(t, loc)
	}
	for id, zh := range raw[ZhCN] {
		en := raw[En][id]
		if a, b := fields(zh), fields(en); a != b {
			t.Errorf("%s: zh-CN uses %q, en uses %q", id, a, b)
		}
	}
}

func fields(s string) string {
	set := map[string]bool{}
	for _, m := range rePlaceholder.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sortStrings(out)
	return strings.Join(out, ",")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func readRaw(tb testing.TB, loc string) map[string]string {
	tb.Helper()
	b, err := embedded.ReadFile("locales/active." + loc + ".yaml")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// TestCodeKeysExist scans the dialogs sources for message ids written as
// literals and checks each is in both catalogs.
func TestCodeKeysExist(t *testing.T) {
	c := mustNew(t)
	files, _ := filepath.Glob("../*.go")
	if len(files) == 0 {
		t.Fatal("no dialogs sources found")
	}
	re := regexp.MustCompile(`"(dialog\.[a-z_]+(?:\.[a-z_]+)+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !c.Has(m[1]) {
				t.Errorf("%s uses %q, which is not in every catalog", filepath.Base(f), m[1])
			}
		}
	}
	if n < 50 {
		t.Fatalf("found only %d message ids in the sources; is the pattern right?", n)
	}
}

func TestT(t *testing.T) {
	c := mustNew(t)
	if got := c.T(ZhCN, "dialog.err.phone.length", map[string]any{"Got": 10}); !strings.Contains(got, "手机号应为 11 位，您输入了 10 位") {
		t.Errorf("zh-CN phone length = %q", got)
	}
	if got := c.T(En, "dialog.err.phone.length", map[string]any{"Got": 10}); !strings.Contains(got, "A phone number has 11 digits; you sent 10") {
		t.Errorf("en phone length = %q", got)
	}
	if got := c.T("en-US", "dialog.btn.skip", nil); got != "Skip" {
		t.Errorf("unnormalised locale: %q", got)
	}
	if got := c.T(En, "no.such.key", nil); got != "no.such.key" {
		t.Errorf("missing key = %q, want the id", got)
	}
	// Texts without data are rendered once per locale; asked again, in any
	// order, each locale keeps its own, and texts with data are not frozen.
	for range 2 {
		if zh, en, us := c.T(ZhCN, "dialog.btn.skip", nil), c.T(En, "dialog.btn.skip", nil), c.T("en-US", "dialog.btn.skip", nil); zh != "跳过" || en != "Skip" || us != "Skip" {
			t.Errorf("skip: zh-CN %q, en %q, en-US %q", zh, en, us)
		}
	}
	if a, b := c.T(En, "dialog.err.phone.length", map[string]any{"Got": 10}), c.T(En, "dialog.err.phone.length", map[string]any{"Got": 12}); a == b {
		t.Errorf("a text with data did not change with it: %q", a)
	}
}

func TestWithMessages(t *testing.T) {
	c := mustNew(t, WithMessages(fstest.MapFS{
		"extra.zh-CN.yaml": {Data: []byte("form.x.title: 新表单\ndialog.btn.skip: 不填\n")},
		"extra.en.yaml":    {Data: []byte("form.x.title: New form\ndialog.btn.skip: Leave out\n")},
		"form.yaml":        {Data: []byte("id: x\n")}, // not a message file: ignored
	}))
	if !c.Has("form.x.title") || c.T(En, "form.x.title", nil) != "New form" {
		t.Error("extra message not loaded")
	}
	if got := c.T(ZhCN, "dialog.btn.skip", nil); got != "不填" {
		t.Errorf("override = %q", got)
	}
	if _, err := New(WithMessages(fstest.MapFS{"bad.en.yaml": {Data: []byte("a:\n  b: [1]\n")}})); err == nil {
		t.Error("a nested, non-string message was accepted")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"": ZhCN, "zh": ZhCN, "zh-CN": ZhCN, "zh_CN": ZhCN, "zh-hans": ZhCN, "zh-Hans-CN": ZhCN, "zh-TW": ZhCN, "zh-hant": ZhCN,
		"en": En, "en-US": En, "en_GB": En, "EN": En, "en-gb": En,
		"fr": ZhCN, "ja-JP": ZhCN, "garbage!!": ZhCN, "english": En,
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
