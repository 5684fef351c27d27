package botkit

import (
	"slices"
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

func TestFollowUpPress(t *testing.T) {
	for _, s := range []string{"", "12", "12:p", "x:p:0", "0:p:0", "12:zz:0", "12:p:-1", "12:p:x", "12:p:32768", "12:p:0:1"} {
		if p, ok := ParseFollowUpPress(s); ok {
			t.Errorf("ParseFollowUpPress(%q) = %+v, want refused", s, p)
		}
	}
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	// Tick 服务态度 and 其它, 需回访; the buttons carry the state, and the
	// submit button the survey.
	press := FollowUpPress{ID: 7, Act: FollowUpPick}
	tick := func(label string) {
		t.Helper()
		for _, row := range FollowUpButtons(cat, catalog.ZhCN, "", press) {
			for _, b := range row {
				if b.Label == label {
					p, ok := ParseFollowUpPress(b.Press.String())
					if !ok || p != b.Press {
						t.Fatalf("%q carries %q, read back as %+v", label, b.Press.String(), p)
					}
					press = p
					return
				}
			}
		}
		t.Fatalf("no button %q in the picker of %+v", label, press)
	}
	tick("☐ 服务态度")
	tick("☐ 其它")
	tick("☐ 需回访")
	tick("☐ 已解决")
	tick("☑ 已解决") // untick
	tick("✅ 提交调研")
	in := press.Survey()
	if press.Act != FollowUpSubmit || !slices.Equal(in.Factors, []backend.Factor{backend.FactorAttitude, backend.FactorOther}) || in.Solved || !in.Callback {
		t.Fatalf("submitted %+v: %+v", press, in)
	}
	if rows := FollowUpButtons(cat, catalog.ZhCN, backend.StepUrged, FollowUpPress{ID: 7}); rows != nil {
		t.Fatalf("an urge has buttons: %+v", rows)
	}
}
