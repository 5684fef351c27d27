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
