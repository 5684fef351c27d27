package botkit

import (
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestWordsRating: a whole message that is a rating word, in either
// language, full-width or with punctuation, rates; anything more does not.
func TestWordsRating(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	w := NewWords(cat)
	for _, tc := range []struct {
		text string
		want backend.Satisfaction
	}{
		{"满意", backend.SatisfactionSatisfied},
		{" 满意！", backend.SatisfactionSatisfied},
		{"基本满意。", backend.SatisfactionBasically},
		{"不满意", backend.SatisfactionUnsatisfied},
		{"Satisfied", backend.SatisfactionSatisfied},
		{"basically", backend.SatisfactionBasically},
		{"ｕｎｓａｔｉｓｆｉｅｄ", backend.SatisfactionUnsatisfied},
		{"not  satisfied!", backend.SatisfactionUnsatisfied},
		{"满意，但是还有一个问题", ""},
		{"FB-20261124-0003", ""},
		{"", ""},
	} {
		got, ok := w.Rating(tc.text)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Rating(%q) = %q, %v; want %q", tc.text, got, ok, tc.want)
		}
	}
}

// TestWordsAskedNumber: a ticket number anywhere, in any case, with only
// words of asking around it asks for the status; anything more is a
// message about the ticket, not a question about its status.
func TestWordsAskedNumber(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	w := NewWords(cat)
	const n = "FB-20261124-0003"
	for _, tc := range []struct {
		text string
		want string
	}{
		{n, n},
		{"fb-20261124-0003", n},
		{"查一下 FB-20261124-0003 的进度", n},
		{"工单FB-20261124-0003", n},
		{"FB-20261124-0003怎么样了？", n},
		{"ＦＢ－２０２６１１２４－０００３ 状态", n},
		{"status of FB-20261124-0003?", n},
		{"What's the progress on fb-20261124-0003", n},
		{"CRM-20261124-0012 进度", "CRM-20261124-0012"},
		{"FB-20261124-0003 又出现了，店铺 42", ""},
		{"FB-20261124-0003 the shop still shows zero", ""},
		{"FB-20261124-0003 和 FB-20261124-0004 的进度", ""},
		{"shop12FB-20261124-0003", ""},
		{"查一下进度", ""},
		{"", ""},
	} {
		got, ok := w.AskedNumber(tc.text)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("AskedNumber(%q) = %q, %v; want %q", tc.text, got, ok, tc.want)
		}
	}
}
