package webchat_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
)

func TestFileTicket(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	number := b.fileTicket("Member-center balance was reset to zero before expiry")
	code, page := b.open("/chat/t/" + number)
	if code != 200 || !strings.Contains(page, "Member-center balance") {
		t.Fatalf("ticket page = %d", code)
	}
	// The returning reporter sees "my tickets".
	if _, page := b.open("/chat/"); !strings.Contains(page, `href="/chat/t/`+number+`"`) {
		t.Fatal("the chat page does not list the reporter's ticket")
	}
	// One message tells the number, links to the ticket and says how to
	// follow up; the outbox's receipt, delivered meanwhile, adds nothing.
	h.waitSent(number, backend.AudienceReporter)
	_, page, _ = b.do("GET", "/chat/log", "", nil, nil)
	if n := strings.Count(page, "bubble bot\"><div class=\"text\">✅ Filed as ticket "+number); n != 1 {
		t.Fatalf("%d filing messages, want 1:\n%s", n, page)
	}
	if bubbles := strings.Split(page, `<div class="bubble`); strings.Count(page, "/chat/t/"+number+`">`+"Open ticket") != 1 ||
		slices.ContainsFunc(bubbles, func(b string) bool { return strings.Contains(b, "notice") && strings.Contains(b, number) }) ||
		strings.Contains(page, "Your ticket number is") || !strings.Contains(page, "just type it here") {
		t.Fatalf("the filing is said more than once, or without its link and hint:\n%s", page)
	}
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil || tk.Channel != "web" {
		t.Fatalf("ticket = %+v, %v", tk, err)
	}
	p, err := h.store.PersonByAccount(context.Background(), "web", tk.Contacts.Phone)
	if err == nil {
		t.Fatalf("a person keyed by phone: %+v", p)
	}
}

// TestReceiptFiledElsewhere: a ticket filed for a web reporter another
// way (the API) has no dialog answer, so the outbox's receipt shows.
func TestReceiptFiledElsewhere(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	b.fileTicket("Member-center balance was reset to zero before expiry")
	ctx := context.Background()
	p, err := h.store.PersonByAccount(ctx, "web", b.visitorID())
	if err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.CreateTicket(ctx, p, backend.NewTicket{Prefix: "FB", Summary: "Filed through the API for this reporter",
		CategoryPath: []string{"CRM问题"}, OccurredAt: time.Now().Add(-time.Hour), Region: "east", Severity: backend.P3,
		Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	h.waitSent(tk.Number, backend.AudienceReporter)
	if _, page, _ := b.do("GET", "/chat/log", "", nil, nil); !strings.Contains(page, "bubble notice") || !strings.Contains(page, tk.Number) {
		t.Fatalf("no receipt for a ticket filed elsewhere:\n%s", page)
	}
}

// TestOutsideDialog: with no form open, a ticket number shows the ticket,
// and other text is a follow-up on the ticket the chat is about, as the
// filing and notices say; the assistant sees it as a public comment.
func TestOutsideDialog(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	number := b.fileTicket("Member-center balance was reset to zero before expiry")
	if code, page := b.say(url.Values{"text": {strings.ToLower(number)}}); code != 200 || !strings.Contains(page, "Ticket "+number+": new") {
		t.Fatalf("a ticket number = %d\n%s", code, page)
	}
	if _, page := b.say(url.Values{"text": {"FB-20200101-0001"}}); !strings.Contains(page, `bubble problem"><div class="text">Not found`) {
		t.Fatalf("an unknown number:\n%s", page)
	}
	// A number asked for in a sentence shows the status too, and is no
	// follow-up (which would notify the staff).
	for i, q := range []string{"查一下 " + strings.ToLower(number) + " 的进度", "工单" + number, "status of " + number + "?"} {
		if _, page := b.say(url.Values{"text": {q}}); strings.Count(page, "Ticket "+number+": new") != i+2 || strings.Contains(page, "Added to ticket") {
			t.Fatalf("%q:\n%s", q, page)
		}
	}
	code, page := b.say(url.Values{"text": {"It happened again this morning, shop 42"}})
	if code != 200 || !strings.Contains(page, "Added to ticket "+number) {
		t.Fatalf("a follow-up = %d\n%s", code, page)
	}
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	events, err := h.store.Events(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e *backend.Event) bool {
		return e.Kind == backend.EventComment && e.Public && strings.Contains(e.Body, "shop 42")
	}) {
		t.Fatalf("the follow-up is not a public comment: %+v", events)
	}
	// A form started again takes the text as its answer.
	b.say(url.Values{"button": {"start:feedback"}})
	if _, page := b.say(url.Values{"text": {"Ranking does not change after refresh"}}); !strings.Contains(page, "(2/10)") {
		t.Fatalf("the form did not take its answer:\n%s", page)
	}
	// That form expires idle: the next answer meant for it is met with the
	// notice that it expired, and is no comment on the earlier ticket.
	h.idle.Store(int64(dialogs.DefaultIdleTimeout + time.Minute))
	if _, page := b.say(url.Values{"text": {"shop 77 again"}}); !strings.Contains(page, "Your previous form expired") || strings.Count(page, "Added to ticket") != 1 {
		t.Fatalf("an answer to an expired form:\n%s", page)
	}
	if events, _ := h.store.Events(context.Background(), tk.ID); slices.ContainsFunc(events, func(e *backend.Event) bool { return strings.Contains(e.Body, "shop 77") }) {
		t.Fatal("an answer to an expired form became a comment")
	}
}

func TestUploadProblems(t *testing.T) {
	h := newHarness(t, 4096)
	b := h.browser()
	b.open("/chat/")
	for _, s := range []url.Values{
		{"button": {"start:feedback"}}, {"text": {"Ranking does not change after refresh"}}, {"button": {"cmd:skip"}},
		{"button": {"opt:category:product"}}, {"button": {"opt:category:product/posts"}}, {"text": {"now"}},
		{"button": {"opt:region:north"}}, {"button": {"opt:severity:P2"}},
	} {
		if code, page := b.say(s); code != 200 {
			t.Fatalf("%v = %d\n%s", s, code, page)
		}
	}
	t.Run("ErrTooBig", func(t *testing.T) {
		big := append(append([]byte{}, pngBytes...), make([]byte, 8192)...)
		code, page := b.upload("/chat/say", "huge.png", big, "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "The file is too big; the limit is 4 KB") {
			t.Fatalf("too big = %d\n%s", code, page)
		}
	})
	t.Run("ErrWayTooBig", func(t *testing.T) { // over the request limit, cut off while reading
		code, page := b.upload("/chat/say", "huge.png", make([]byte, 3<<20), "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "too big") {
			t.Fatalf("way too big = %d\n%s", code, page)
		}
	})
	t.Run("ErrType", func(t *testing.T) {
		code, page := b.upload("/chat/say", "shot.png", []byte("MZ\x90\x00 this is a windows program"), "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "is not accepted") {
			t.Fatalf("wrong type = %d\n%s", code, page)
		}
	})
	t.Run("NothingLost", func(t *testing.T) {
		code, page := b.upload("/chat/say", "shot.png", pngBytes, "")
		if code != 200 || !strings.Contains(page, "shot.png") {
			t.Fatalf("good file = %d\n%s", code, page)
		}
		for _, s := range []url.Values{{"button": {"cmd:done"}}, {"text": {"20261120003"}}, {"text": {"shop_bj_2026"}}, {"text": {"13800138000"}}} {
			if code, page = b.say(s); code != 200 {
				t.Fatalf("%v = %d", s, code)
			}
		}
		if !strings.Contains(page, "Ranking does not change after refresh") || !strings.Contains(page, "shot.png") {
			t.Fatalf("the summary lost an answer:\n%s", page)
		}
	})
}

func TestChatCSRF(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	b.open("/chat/")
	form := url.Values{"button": {"start:feedback"}}
	for name, hdr := range map[string]map[string]string{
		"missing":    {"HX-Request": "true"},
		"wrong":      {"HX-Request": "true", "X-CSRF-Token": "x" + b.csrf},
		"cross-site": {"HX-Request": "true", "X-CSRF-Token": b.csrf, "Sec-Fetch-Site": "cross-site"},
	} {
		code, _, _ := b.do("POST", "/chat/say", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), hdr)
		if code != http.StatusForbidden {
			t.Errorf("%s token = %d, want 403", name, code)
		}
	}
	other := h.browser()
	other.open("/chat/")
	code, _, _ := b.do("POST", "/chat/say", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()),
		map[string]string{"X-CSRF-Token": other.csrf})
	if code != http.StatusForbidden {
		t.Errorf("another reporter's token = %d", code)
	}
	if active, _ := h.store.PersonByAccount(context.Background(), "web", "x"); active != nil {
		t.Error("a person was created")
	}
	code, _, _ = h.browser().do("POST", "/chat/say", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	if code != http.StatusForbidden {
		t.Errorf("no cookie at all = %d", code)
	}
}

func TestOthersTicket(t *testing.T) {
	h := newHarness(t, 0)
	alice, mallory := h.browser(), h.browser()
	number := alice.fileTicket("Alice's private problem with the order system")
	mallory.fileTicket("Mallory files one too so she is a reporter")
	for _, path := range []string{"/chat/t/" + number, "/chat/t/" + number + "/live", "/chat/t/" + number + "/events",
		"/chat/t/FB-20200101-0001", "/chat/t/not-a-number"} {
		code, page := mallory.open(path)
		if code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
		if strings.Contains(page, "Alice's private") {
			t.Errorf("GET %s leaks the ticket", path)
		}
	}
	mallory.open("/chat/")
	code, _ := mallory.upload("/chat/t/"+number+"/comment", "x.png", pngBytes, "let me in")
	if code != http.StatusNotFound {
		t.Errorf("comment on another's ticket = %d", code)
	}
	code, _, _ = mallory.do("POST", "/chat/t/"+number+"/rate", "application/x-www-form-urlencoded", strings.NewReader("rating=satisfied"),
		map[string]string{"X-CSRF-Token": mallory.csrf})
	if code != http.StatusNotFound {
		t.Errorf("rate another's ticket = %d", code)
	}
	// A fresh visitor without any ticket, too.
	if code, _ := h.browser().open("/chat/t/" + number); code != http.StatusNotFound {
		t.Errorf("stranger = %d", code)
	}
}

func TestInertAndRating(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	number := b.fileTicket(evil + " order page is broken")
	for _, path := range []string{"/chat/", "/chat/t/" + number} {
		_, page := b.open(path)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Errorf("%s renders live markup", path)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the text escaped", path)
		}
	}
	// Staff resolves; the reporter rates once.
	ctx := context.Background()
	staff := h.assistant()
	if _, err := h.svc.Claim(ctx, staff, number); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(ctx, staff, number, `fixed <b>it</b>`); err != nil {
		t.Fatal(err)
	}
	_, page := b.open("/chat/t/" + number)
	if !strings.Contains(page, `value="satisfied"`) || strings.Contains(page, "<b>it</b>") {
		t.Fatalf("no rating buttons or live markup:\n%s", page)
	}
	code, _, _ := b.do("POST", "/chat/t/"+number+"/rate", "application/x-www-form-urlencoded", strings.NewReader("rating=basically"),
		map[string]string{"X-CSRF-Token": b.csrf, "HX-Request": "true"})
	if code != 200 {
		t.Fatalf("rate = %d", code)
	}
	code, page, _ = b.do("POST", "/chat/t/"+number+"/rate", "application/x-www-form-urlencoded", strings.NewReader("rating=satisfied"),
		map[string]string{"X-CSRF-Token": b.csrf, "HX-Request": "true"})
	if code != http.StatusConflict || !strings.Contains(page, "rated already") {
		t.Fatalf("second rating = %d", code)
	}
	tk, _ := h.store.Ticket(ctx, number)
	if tk.Satisfaction != backend.SatisfactionBasically {
		t.Fatalf("satisfaction = %q", tk.Satisfaction)
	}
	if _, page := b.open("/chat/t/" + number); !strings.Contains(page, `id="send-comment"`) {
		t.Fatal("a resolved ticket takes no follow-up")
	}
	// Archived: no follow-up form, a sentence saying why instead.
	if _, err := h.svc.Transition(ctx, staff, number, backend.StatusArchived, ""); err != nil {
		t.Fatal(err)
	}
	if _, page := b.open("/chat/t/" + number); strings.Contains(page, `id="send-comment"`) || !strings.Contains(page, "archived") {
		t.Fatalf("an archived ticket offers a follow-up:\n%s", page)
	}
}

// TestRatingInChat: the resolved notice in the chat carries the rating
// buttons, and 满意 / satisfied typed outside a dialog rates the latest
// resolved ticket; a second rating is refused with the reason, shown.
func TestRatingInChat(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	ctx := context.Background()
	staff := h.assistant()
	resolve := func(number string) {
		t.Helper()
		if _, err := h.svc.Claim(ctx, staff, number); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Resolve(ctx, staff, number, "fixed the balance job"); err != nil {
			t.Fatal(err)
		}
		b.waitLog(`value="rate:` + number + `:satisfied"`)
	}
	satisfaction := func(number string) backend.Satisfaction { return h.ticket(number).Satisfaction }
	t.Run("Buttons", func(t *testing.T) {
		number := b.fileTicket("Member-center balance was reset to zero before expiry")
		resolve(number)
		code, page := b.say(url.Values{"button": {"rate:" + number + ":basically"}})
		if code != 200 || !strings.Contains(page, "Thank you for your rating! Ticket "+number+": basically satisfied") {
			t.Fatalf("rate = %d\n%s", code, page)
		}
		if got := satisfaction(number); got != backend.SatisfactionBasically {
			t.Fatalf("satisfaction = %q", got)
		}
		if _, page := b.say(url.Values{"button": {"rate:" + number + ":satisfied"}}); !strings.Contains(page, `bubble problem"><div class="text">`) ||
			!strings.Contains(page, "rated already") {
			t.Fatalf("second rating:\n%s", page)
		}
	})
	t.Run("Typed", func(t *testing.T) {
		number := b.fileTicket("Ranking does not change after refresh at all")
		resolve(number)
		if _, page := b.say(url.Values{"text": {"满意！"}}); !strings.Contains(page, "Thank you for your rating! Ticket "+number+": satisfied") {
			t.Fatalf("typed 满意:\n%s", page)
		}
		if got := satisfaction(number); got != backend.SatisfactionSatisfied {
			t.Fatalf("satisfaction = %q", got)
		}
		if _, page := b.say(url.Values{"text": {"Unsatisfied"}}); strings.Count(page, "rated already") != 2 {
			t.Fatalf("typed again:\n%s", page)
		}
		if got := satisfaction(number); got != backend.SatisfactionSatisfied {
			t.Fatalf("satisfaction changed to %q", got)
		}
	})
	t.Run("ErrOthersTicket", func(t *testing.T) {
		other := h.browser()
		other.fileTicket("Mallory files one too so she is a reporter")
		number := b.lastNumber()
		if _, page := other.say(url.Values{"button": {"rate:" + number + ":unsatisfied"}}); !strings.Contains(page, `bubble problem"><div class="text">Not found`) {
			t.Fatalf("rating another's ticket:\n%s", page)
		}
		if got := satisfaction(number); got != backend.SatisfactionSatisfied {
			t.Fatalf("satisfaction changed to %q", got)
		}
	})
}

// TestUploadRefusedUnstored: a file the chat does not want now (no form
// open, the review) is refused before it is stored, with a reason and
// every answer kept; and a visitor may send only so many files a minute.
func TestUploadRefusedUnstored(t *testing.T) {
	h := newHarness(t, 0)
	t.Run("ErrNoDialog", func(t *testing.T) {
		b := h.browser()
		b.open("/chat/")
		code, page := b.upload("/chat/say", "shot.png", pngBytes, "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "Files go with a report") {
			t.Fatalf("no dialog = %d\n%s", code, page)
		}
		if n := h.stored(); n != 0 {
			t.Fatalf("%d files stored", n)
		}
	})
	t.Run("ErrReview", func(t *testing.T) {
		b := h.browser()
		b.open("/chat/")
		for _, s := range []url.Values{
			{"button": {"start:feedback"}}, {"text": {"Ranking does not change after refresh"}}, {"button": {"cmd:skip"}},
			{"button": {"opt:category:crm"}}, {"button": {"opt:category:crm/ordering"}}, {"text": {"now"}},
			{"button": {"opt:region:east"}}, {"button": {"opt:severity:P3"}}, {"button": {"cmd:skip"}}, {"button": {"cmd:skip"}},
			{"button": {"cmd:skip"}}, {"text": {"13800138000"}},
		} {
			if code, page := b.say(s); code != 200 {
				t.Fatalf("%v = %d\n%s", s, code, page)
			}
		}
		code, page := b.upload("/chat/say", "late.png", pngBytes, "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "No file is needed now") {
			t.Fatalf("at the review = %d\n%s", code, page)
		}
		if n := h.stored(); n != 0 {
			t.Fatalf("%d files stored", n)
		}
		b.say(url.Values{"button": {"cmd:submit"}})
		_, page = b.say(url.Values{"button": {"cmd:confirm"}})
		number := numberRE.FindString(page)
		tk, err := h.store.Ticket(context.Background(), number)
		if err != nil || tk.Summary != "Ranking does not change after refresh" || len(tk.Attachments) != 0 {
			t.Fatalf("the answers were not kept: %+v %v\n%s", tk, err, page)
		}
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		b := h.browser()
		b.open("/chat/")
		b.say(url.Values{"button": {"start:feedback"}})
		for i := range 10 {
			if code, page := b.upload("/chat/say", "shot.png", pngBytes, ""); code == http.StatusTooManyRequests {
				t.Fatalf("upload %d refused:\n%s", i+1, page)
			}
		}
		stored := h.stored()
		code, page := b.upload("/chat/say", "one-more.png", append(append([]byte{}, pngBytes...), 1), "")
		if code != http.StatusTooManyRequests || !strings.Contains(page, "Too many files: at most 10 a minute") {
			t.Fatalf("upload 11 = %d\n%s", code, page)
		}
		if n := h.stored(); n != stored {
			t.Fatalf("a refused file was stored: %d, then %d", stored, n)
		}
		// Another visitor is not held up.
		other := h.browser()
		other.open("/chat/")
		other.say(url.Values{"button": {"start:feedback"}})
		if code, page := other.upload("/chat/say", "shot.png", pngBytes, ""); code != 200 {
			t.Fatalf("another visitor = %d\n%s", code, page)
		}
	})
}

// TestConfirmInChat: a solution put to the reporter (pending
// confirmation) comes into the chat with 已解决 / 仍未解决, and the
// ticket page asks it too; an answer given twice is refused with the
// reason; typed "solved" answers it outside a dialog.
func TestConfirmInChat(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	ctx := context.Background()
	staff := h.assistant()
	propose := func(number, solution string) {
		t.Helper()
		if _, err := h.svc.Transition(ctx, staff, number, backend.StatusPendingConfirmation, solution); err != nil {
			t.Fatal(err)
		}
		b.waitLog(`value="confirm:` + number + `:y"`)
	}
	status := func(number string) backend.Status { return h.ticket(number).Status }
	number := b.fileTicket("Member-center balance was reset to zero before expiry")
	if _, err := h.svc.Claim(ctx, staff, number); err != nil {
		t.Fatal(err)
	}

	t.Run("Buttons", func(t *testing.T) {
		propose(number, "re-ran the balance job")
		code, page := b.say(url.Values{"button": {"confirm:" + number + ":n"}})
		if code != 200 || !strings.Contains(page, "The assignee is told that the problem of ticket "+number+" is not solved") {
			t.Fatalf("not solved = %d\n%s", code, page)
		}
		if got := status(number); got != backend.StatusInProgress {
			t.Fatalf("status = %s", got)
		}
		if _, page := b.say(url.Values{"button": {"confirm:" + number + ":y"}}); !strings.Contains(page, "not pending confirmation") {
			t.Fatalf("second answer:\n%s", page)
		}
		if got := status(number); got != backend.StatusInProgress {
			t.Fatalf("a second answer moved it to %s", got)
		}
	})
	t.Run("TicketPage", func(t *testing.T) {
		propose(number, "cleared the cache")
		if _, page := b.open("/chat/t/" + number); !strings.Contains(page, `id="confirm"`) || !strings.Contains(page, `name="solved" value="y"`) {
			t.Fatalf("the ticket page asks nothing:\n%s", page)
		}
		post := func(form string) (int, string) {
			code, page, _ := b.do("POST", "/chat/t/"+number+"/confirm", "application/x-www-form-urlencoded", strings.NewReader(form),
				map[string]string{"X-CSRF-Token": b.csrf, "HX-Request": "true"})
			return code, page
		}
		if code, _ := post("text=hm"); code != http.StatusUnprocessableEntity {
			t.Fatalf("no answer = %d", code)
		}
		if code, page := post("solved=y&text=works+now"); code != 200 || strings.Contains(page, `id="confirm"`) {
			t.Fatalf("solved = %d\n%s", code, page)
		}
		tk, events, err := h.svc.Thread(ctx, staff, number)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status != backend.StatusResolved || tk.Solution != "cleared the cache" {
			t.Fatalf("after solved: %s %q", tk.Status, tk.Solution)
		}
		if i := slices.IndexFunc(events, func(e *backend.Event) bool { return e.Kind == backend.EventConfirmation && e.Data.Solved }); i < 0 || events[i].Body != "works now" {
			t.Fatalf("no confirmation with the note in %+v", events)
		}
		if code, _ := post("solved=n"); code != http.StatusConflict {
			t.Fatalf("answer after resolution = %d", code)
		}
	})
	t.Run("Typed", func(t *testing.T) {
		other := b.fileTicket("Ranking does not change after refresh at all")
		if _, err := h.svc.Claim(ctx, staff, other); err != nil {
			t.Fatal(err)
		}
		propose(other, "rebuilt the index")
		if _, page := b.say(url.Values{"text": {"Solved!"}}); !strings.Contains(page, "Confirmed: the problem of ticket "+other+" is solved") {
			t.Fatalf("typed solved:\n%s", page)
		}
		if got := status(other); got != backend.StatusResolved {
			t.Fatalf("status = %s", got)
		}
	})
}

// TestExpiryNotice: a form left idle is reported on the chat page when it
// expires, naming the form, without the reporter writing first; it is not
// reported again at their next message.
func TestExpiryNotice(t *testing.T) {
	h := newHarness(t, 0)
	b := h.browser()
	b.open("/chat/")
	b.say(url.Values{"button": {"start:feedback"}})
	b.say(url.Values{"text": {"Ranking does not change after refresh"}})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		botkit.TellExpired(ctx, h.engine, 20*time.Millisecond, slog.New(slog.DiscardHandler), h.chat)
		close(done)
	}()
	defer func() { stop(); <-done }()
	time.Sleep(100 * time.Millisecond)
	if _, page := b.open("/chat/"); strings.Contains(page, "expired") {
		t.Fatalf("a live form was reported expired:\n%s", page)
	}
	h.idle.Store(int64(dialogs.DefaultIdleTimeout + time.Minute))
	const notice = "Your “problem report” form expired after a long pause and was not filed."
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, page := b.open("/chat/")
		if strings.Contains(page, notice) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no expiry notice on the page:\n%s", page)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, page := b.say(url.Values{"text": {"hello?"}}); strings.Count(page, "expired") != 1 {
		t.Fatalf("the expiry was reported again at the next message:\n%s", page)
	}
}
