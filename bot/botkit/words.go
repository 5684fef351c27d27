package botkit

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Words reads the few typed answers a chat understands outside a dialog.
// The words come from the catalog (rating.<rating>.words,
// confirm.solved.words, confirm.unsolved.words and ask.status.words,
// '|'-separated), and every language's words are
// accepted whatever the reporter's language, as the dialog's commands are.
type Words struct {
	ratings  map[string]backend.Satisfaction // folded word → rating
	confirms map[string]bool                 // folded word → solved
	asking   []string                        // folded, longest first
}

// NewWords reads the words of cat.
func NewWords(cat *catalog.Catalog) *Words {
	w := &Words{ratings: map[string]backend.Satisfaction{}, confirms: map[string]bool{}}
	for _, r := range []backend.Satisfaction{backend.SatisfactionSatisfied, backend.SatisfactionBasically, backend.SatisfactionUnsatisfied} {
		for _, loc := range cat.Locales() {
			for word := range strings.SplitSeq(cat.T(loc, "rating."+string(r)+".words", nil), "|") {
				if word = fold(word); word != "" {
					w.ratings[word] = r
				}
			}
		}
	}
	for _, loc := range cat.Locales() {
		for _, solved := range []bool{true, false} {
			for word := range strings.SplitSeq(cat.T(loc, confirmKey(solved)+".words", nil), "|") {
				if word = fold(word); word != "" {
					w.confirms[word] = solved
				}
			}
		}
		for word := range strings.SplitSeq(cat.T(loc, "ask.status.words", nil), "|") {
			if word = fold(word); word != "" && !slices.Contains(w.asking, word) {
				w.asking = append(w.asking, word)
			}
		}
	}
	slices.SortFunc(w.asking, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return w
}

// numberIn finds ticket numbers in folded text: FB-20261124-0003, also
// inside Chinese text (工单fb-20261124-0003的进度).
var numberIn = regexp.MustCompile(`\b[a-z]{1,8}-\d{8}-\d{4,}\b`)

// AskedNumber reports the ticket number of a message that asks for a
// ticket's status: one ticket number, anywhere and in any case, with
// nothing else but words of asking (查一下 FB-… 的进度, "status of fb-…?").
// A message that says more is not a question about the status (a
// follow-up, say), and neither is one with several numbers.
func (w *Words) AskedNumber(text string) (string, bool) {
	s := fold(text)
	found := numberIn.FindAllStringIndex(s, 2)
	if len(found) != 1 {
		return "", false
	}
	number := strings.ToUpper(s[found[0][0]:found[0][1]])
	if !backend.ValidNumber(number) {
		return "", false
	}
	rest := strings.NewReplacer("'", "", "’", "").Replace(s[:found[0][0]] + " " + s[found[0][1]:])
	rest = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, rest)
	for chunk := range strings.FieldsSeq(rest) {
		if !w.onlyAsking(chunk) {
			return "", false
		}
	}
	return number, true
}

// onlyAsking reports whether chunk is made of asking words only
// (查一下的进度 = 查一下 + 的 + 进度).
func (w *Words) onlyAsking(chunk string) bool {
	ok := make([]bool, len(chunk)+1)
	ok[0] = true
	for i := range chunk {
		if !ok[i] {
			continue
		}
		for _, word := range w.asking {
			if strings.HasPrefix(chunk[i:], word) {
				ok[i+len(word)] = true
			}
		}
	}
	return ok[len(chunk)]
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

// RateTyped records a rating typed as words (满意, "unsatisfied") outside
// a dialog for reporter p. With one resolved ticket not rated yet it
// rates that one; with several it asks which, by their numbers (a word
// cannot tell them apart: the buttons under each resolution can); with
// none, it names the latest resolved ticket, which the service refuses
// as rated already. number is "" when the text is no rating or p has no
// resolved ticket: the chat answers it as it would any text. Otherwise
// answer is the text to show in p's language (the thanks, saying the
// ticket is reopened for 不满意, or the question), or err the service's
// refusal.
func (w *Words) RateTyped(ctx context.Context, svc *backend.Service, cat *catalog.Catalog, p *backend.Person, text string) (number, answer string, err error) {
	rating, ok := w.Rating(text)
	if !ok || p == nil {
		return "", "", nil
	}
	page, err := svc.Tickets(ctx, p, backend.TicketFilter{ReporterID: p.ID, Status: []backend.Status{backend.StatusResolved}, Limit: 20})
	if err != nil || len(page.Tickets) == 0 {
		return "", "", nil // answered as any text
	}
	var unrated []string
	for _, t := range page.Tickets {
		if t.Satisfaction == backend.SatisfactionNone {
			unrated = append(unrated, t.Number)
		}
	}
	loc := Locale(p)
	switch len(unrated) {
	case 0:
		number = page.Tickets[0].Number
	case 1:
		number = unrated[0]
	default:
		return unrated[0], cat.T(loc, "rating.which", map[string]any{"Numbers": strings.Join(unrated, cat.T(loc, "dialog.list_sep", nil))}), nil
	}
	if _, err := svc.RecordSatisfaction(ctx, p, number, rating, ""); err != nil {
		return number, "", err
	}
	return number, RatedText(cat, loc, number, rating), nil
}

// RatedText thanks the reporter for rating ticket number, and says that
// an unsatisfied rating reopened it.
func RatedText(cat *catalog.Catalog, loc, number string, rating backend.Satisfaction) string {
	key := "rating.recorded"
	if rating == backend.SatisfactionUnsatisfied {
		key = "rating.recorded_unsatisfied"
	}
	return cat.T(loc, key, map[string]any{"Number": number, "Rating": cat.T(loc, "rating."+string(rating), nil)})
}

// confirmKey is the catalog key of an answer to a solution put to the
// reporter: confirm.solved or confirm.unsolved (the button's label; with
// .words, the typed words).
func confirmKey(solved bool) string {
	if solved {
		return "confirm.solved"
	}
	return "confirm.unsolved"
}

// ConfirmLabel is the label of the button that answers a solution put to
// the reporter: 已解决 or 仍未解决.
func ConfirmLabel(cat *catalog.Catalog, loc string, solved bool) string {
	return cat.T(loc, confirmKey(solved), nil)
}

// Confirmation reports the answer a whole typed message gives to a
// solution put to the reporter ("已解决", "没解决。", "Not solved!"), if it
// is one.
func (w *Words) Confirmation(text string) (solved, ok bool) {
	solved, ok = w.confirms[fold(text)]
	return solved, ok
}

// ConfirmTyped answers, for reporter p, the solution put to them (a
// ticket pending confirmation) with words typed outside a dialog (已解决,
// "not solved"), as RateTyped does a rating: with one such ticket it
// answers that one; with several it asks which, by their numbers. number
// is "" when the text is no answer or none of p's tickets waits for one:
// the chat answers it as it would any text. Otherwise answer is the text
// to show in p's language, or err the service's refusal.
func (w *Words) ConfirmTyped(ctx context.Context, svc *backend.Service, cat *catalog.Catalog, p *backend.Person, text string) (number, answer string, err error) {
	solved, ok := w.Confirmation(text)
	if !ok || p == nil {
		return "", "", nil
	}
	page, err := svc.Tickets(ctx, p, backend.TicketFilter{ReporterID: p.ID, Status: []backend.Status{backend.StatusPendingConfirmation}, Limit: 20})
	if err != nil || len(page.Tickets) == 0 {
		return "", "", nil // answered as any text
	}
	loc := Locale(p)
	if len(page.Tickets) > 1 {
		numbers := make([]string, len(page.Tickets))
		for i, t := range page.Tickets {
			numbers[i] = t.Number
		}
		return numbers[0], cat.T(loc, "confirm.which", map[string]any{"Numbers": strings.Join(numbers, cat.T(loc, "dialog.list_sep", nil))}), nil
	}
	number = page.Tickets[0].Number
	if _, err := svc.ConfirmSolution(ctx, p, number, solved, ""); err != nil {
		return number, "", err
	}
	return number, ConfirmedText(cat, loc, number, solved), nil
}

// ConfirmedText tells the reporter their answer to the solution of ticket
// number is recorded, and what it did.
func ConfirmedText(cat *catalog.Catalog, loc, number string, solved bool) string {
	key := "confirm.recorded_unsolved"
	if solved {
		key = "confirm.recorded_solved"
	}
	return cat.T(loc, key, map[string]any{"Number": number})
}

// AnswerTyped is RateTyped, or else ConfirmTyped: the typed answers to
// what a ticket's notices ask the reporter.
func (w *Words) AnswerTyped(ctx context.Context, svc *backend.Service, cat *catalog.Catalog, p *backend.Person, text string) (number, answer string, err error) {
	if number, answer, err = w.RateTyped(ctx, svc, cat, p, text); number != "" {
		return number, answer, err
	}
	return w.ConfirmTyped(ctx, svc, cat, p, text)
}
