package dialogs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

func TestDefaultForms(t *testing.T) {
	cat := mustCatalog(t)
	set, err := DefaultForms(cat)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.IDs(), ","); got != "complaint,feedback,suggestion" {
		t.Fatalf("forms = %s", got)
	}
	for id, prefix := range map[string]string{"feedback": "FB", "suggestion": "SG", "complaint": "CP"} {
		f, _ := set.Get(id)
		if f.Prefix != prefix {
			t.Errorf("%s prefix = %q, want %q", id, f.Prefix, prefix)
		}
	}
	fb, _ := set.Get("feedback")
	for _, id := range []string{"screenshots", "order_number", "account"} {
		c := fb.Field(id).RequiredIf
		if c == nil || c.Field != "severity" || strings.Join(c.Values, ",") != "P1,P2" {
			t.Errorf("feedback.%s required_if = %+v, want severity in [P1, P2]", id, c)
		}
	}
	sg, _ := set.Get("suggestion")
	if sg.Fixed[SlotSeverity] != "P4" {
		t.Errorf("suggestion severity = %q, want P4", sg.Fixed[SlotSeverity])
	}
	cp, _ := set.Get("complaint")
	if first := cp.Fields[0]; first.Type != TypeContact || strings.Join(kindsOf(first), ",") != "phone" {
		t.Errorf("complaint starts with %s %v, want the customer's phone", first.Type, first.Kinds)
	}
}

func kindsOf(fd *Field) []string {
	var out []string
	for _, k := range fd.Kinds {
		out = append(out, string(k))
	}
	return out
}

// TestEngineKeysExist covers the message ids the engine builds at run time
// (dialog.help.<type>, dialog.cmd.<name>.words, dialog.contact.<kind>).
func TestEngineKeysExist(t *testing.T) {
	cat := mustCatalog(t)
	var ids []string
	for _, ft := range fieldTypes {
		ids = append(ids, "dialog.help."+string(ft))
	}
	for _, c := range commandNames {
		ids = append(ids, "dialog.cmd."+c+".words")
	}
	for _, k := range allContactKinds {
		ids = append(ids, "dialog.contact."+string(k))
	}
	for _, id := range ids {
		if !cat.Has(id) {
			t.Errorf("%s is missing from a catalog", id)
		}
	}
}

// TestFormErrors feeds broken forms to the loader and checks each is
// refused with the file, the line and the reason.
func TestFormErrors(t *testing.T) {
	cat := mustCatalog(t)
	head := "id: feedback\nprefix: FB\nfields:\n"
	sev := "  - id: severity\n    type: severity\n    options: [{id: P1}, {id: P2}, {id: P3}]\n"
	for _, tc := range []struct {
		name, body string
		line       int
		reason     string
	}{
		{"UnknownType", head + "  - id: summary\n    type: essay\n", 5, `unknown field type "essay"`},
		{"UnknownKey", head + "  - id: summary\n    type: text\n    requird: true\n", 6, "field requird not found"},
		{"MissingCatalogKey", head + "  - id: nosuch\n    type: text\n", 4, `catalog key "form.feedback.nosuch.label" is missing`},
		{"MissingOptionKey", head + "  - id: region\n    type: choice\n    options:\n      - id: north\n      - id: atlantis\n", 8, `"form.feedback.region.opt.atlantis" is missing`},
		{"UnknownConditionField", head + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: severty in [P1]\n", 7, `unknown field "severty"`},
		{"ConditionLater", head + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: severity in [P1]\n" + sev, 7, `asked later`},
		{"ConditionImpossibleValue", head + sev + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: severity in [P5]\n", 10, `"P5" is not an option of "severity"`},
		{"ConditionOnText", head + "  - id: summary\n    type: text\n  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: summary == x\n", 9, `conditions work on choice and severity fields`},
		{"ConditionSyntax", head + sev + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: severity is P1\n", 10, `want`},
		{"ConditionEmpty", head + sev + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required_if: severity in []\n", 10, `can never hold`},
		{"RequiredAndIf", head + sev + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    required: true\n    required_if: severity in [P1]\n", 11, `required and required_if`},
		{"WrongSlot", head + "  - id: summary\n    type: text\n    slot: occurred_at\n", 6, `cannot fill slot "occurred_at"`},
		{"SlotTwice", head + "  - id: summary\n    type: text\n    slot: summary\n  - id: reference\n    type: text\n    slot: summary\n", 9, `already filled by field "summary"`},
		{"DuplicateField", head + "  - id: summary\n    type: text\n  - id: summary\n    type: text\n", 6, `used twice`},
		{"ParamNotForType", head + "  - id: summary\n    type: text\n    pattern: '^x$'\n", 6, `pattern does not apply to a text field`},
		{"BadPattern", head + "  - id: order_number\n    type: id\n    pattern: '^(x'\n", 6, `missing closing )`},
		{"BadSeverity", head + "  - id: severity\n    type: severity\n    options: [{id: P9}]\n", 6, `"P9" is not one of P1, P2, P3, P4`},
		{"ContactNoSlot", head + "  - id: contact\n    type: contact\n", 4, `must fill slot "contacts"`},
		{"BadKind", head + "  - id: contact\n    type: contact\n    slot: contacts\n    kinds: [fax]\n", 7, `unknown contact kind "fax"`},
		{"BadMaxSize", head + "  - id: screenshots\n    type: attachments\n    slot: attachments\n    max_size: lots\n", 7, `not a size`},
		{"NoFields", "id: feedback\nprefix: FB\n", 1, `at least one field`},
		{"BadPrefix", "id: feedback\nprefix: fb1\nfields:\n  - id: summary\n    type: text\n", 2, `prefix "fb1"`},
		{"SuggestAfterUnknown", "id: feedback\nprefix: FB\nsuggest_after: nope\nfields:\n  - id: summary\n    type: text\n", 3, `suggest_after: unknown field "nope"`},
		{"YAMLSyntax", "id: feedback\nfields: [\n", 2, `did not find expected node content`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseForm(cat, "bad.yaml", []byte(tc.body))
			var fe FormErrors
			if !errors.As(err, &fe) {
				t.Fatalf("ParseForm accepted the form (err %v)", err)
			}
			for _, e := range fe {
				if strings.Contains(e.Reason, tc.reason) {
					if e.File != "bad.yaml" || e.Line != tc.line {
						t.Fatalf("error %q at %s:%d, want bad.yaml:%d", e.Reason, e.File, e.Line, tc.line)
					}
					return
				}
			}
			t.Fatalf("errors %v do not say %q", fe, tc.reason)
		})
	}
}

// TestFormsDir overrides the embedded feedback form from a directory and
// adds a new form whose texts come with it.
func TestFormsDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("feedback.yaml", "id: feedback\nprefix: FX\nfields:\n  - id: summary\n    type: text\n    slot: summary\n    required: true\n")
	write("it.yaml", "id: it\nprefix: IT\nfields:\n  - id: what\n    type: text\n    slot: summary\n    required: true\n")
	write("it.zh-CN.yaml", "form.it.title: IT 报修\nform.it.intro: 报修\nform.it.what.label: 故障\nform.it.what.prompt: 什么坏了？\n")
	write("it.en.yaml", "form.it.title: IT repair\nform.it.intro: Repair\nform.it.what.label: Fault\nform.it.what.prompt: What broke?\n")

	cat, err := catalog.New(catalog.WithMessages(os.DirFS(dir)))
	if err != nil {
		t.Fatal(err)
	}
	set, err := LoadForms(cat, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.IDs(), ","); got != "complaint,feedback,it,suggestion" {
		t.Fatalf("forms = %s", got)
	}
	if f, _ := set.Get("feedback"); f.Prefix != "FX" || len(f.Fields) != 1 {
		t.Fatalf("feedback not overridden: %+v", f)
	}

	// Without its messages the new form is refused, naming the key.
	_, err = LoadForms(mustCatalog(t), dir)
	if err == nil || !strings.Contains(err.Error(), `it.yaml:1: catalog key "form.it.title" is missing`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := LoadForms(cat, filepath.Join(dir, "nope")); err == nil {
		t.Fatal("a missing FORMS_DIR was accepted")
	}
}

func TestLoadFormsFSKeepsAllErrors(t *testing.T) {
	_, err := LoadFormsFS(mustCatalog(t), fstest.MapFS{
		"a.yaml": {Data: []byte("id: a\nprefix: A\nfields:\n  - id: x\n    type: nope\n")},
		"b.yaml": {Data: []byte("id: b\nprefix: B\nfields: []\n")},
	})
	var fe FormErrors
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "a.yaml:5") || !strings.Contains(err.Error(), "b.yaml:3") {
		t.Fatalf("err = %v, want problems of both files", err)
	}
}
