package botkit

import (
	"strings"

	"golang.org/x/text/width"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Words reads the few typed answers a chat understands outside a dialog.
// The words come from the catalog (rating.<rating>.words, '|'-separated),
// and every language's words are accepted whatever the reporter's
// language, as the dialog's commands are.
type Words struct {
	ratings map[string]backend.Satisfaction // folded word → rating
}

// NewWords reads the words of cat.
func NewWords(cat *catalog.Catalog) *Words {
	w := &Words{ratings: map[string]backend.Satisfaction{}}
	for _, r := range []backend.Satisfaction{backend.SatisfactionSatisfied, backend.SatisfactionBasically, backend.SatisfactionUnsatisfied} {
		for _, loc := range cat.Locales() {
			for word := range strings.SplitSeq(cat.T(loc, "rating."+string(r)+".words", nil), "|") {
				if word = fold(word); word != "" {
					w.ratings[word] = r
				}
			}
		}
	}
	return w
}

// Rating reports the rating a whole typed message gives ("满意",
// "基本满意。", "Unsatisfied!"), if it is one.
func (w *Words) Rating(text string) (backend.Satisfaction, bool) {
	r, ok := w.ratings[fold(text)]
	return r, ok
}

// fold makes typed text comparable: full-width forms folded, lower case,
// spaces collapsed, and the punctuation around it dropped.
func fold(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(width.Fold.String(s)), " "))
	return strings.Trim(s, " .!?~。！？～，,、")
}
