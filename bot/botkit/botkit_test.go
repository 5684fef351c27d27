package botkit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// openStore is a migrated SQLite store in a temporary directory.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

func TestFilerAndRenderer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := backend.NewService(store, backend.ServiceConfig{})
	files, err := NewFiles(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	shot, err := files.Put(bytes.NewReader(pngBytes), "shot.png")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	f := &Filer{Service: svc, Files: files, Cat: cat, Names: func(dialogs.SessionKey) string { return "王代理" }}
	key := dialogs.SessionKey{Platform: "web", ChatID: "c1", UserID: "u1"}
	d := dialogs.Draft{
		Form: "feedback", Prefix: "FB", Locale: "en",
		Summary: "系统异常导致无法提单，已换浏览器", CategoryPath: []string{"crm", "ordering"},
		Attachments: []dialogs.FileRef{{ID: shot.SHA256, Name: "屏幕截图.png"}},
		OccurredAt:  time.Now().Add(-time.Hour), Region: "east", Severity: "p1",
		OrderNumber: "TD20261122001", Account: "hz-agent-01",
		Contacts: dialogs.Contacts{Phone: "13800138000"},
	}
	// A complaint the backend refuses names the form's own fields at fault.
	cp := dialogs.Draft{Form: "complaint", Prefix: "CP", Locale: "en", Summary: "这批螺丝刀杆上有铁锈需要处理",
		OrderNumber: "20080505003", Contacts: dialogs.Contacts{Phone: "13800138000"}, Extra: map[string]string{"customer": "李先生", "requests": "  "}}
	var refused *dialogs.RejectedError
	if _, err := f.FileTicket(ctx, key, cp); !errors.As(err, &refused) || !slices.Equal(refused.Slots, []string{"requests"}) {
		t.Fatalf("a complaint without requests: %v, want it rejected naming requests", err)
	}
	number, err := f.FileTicket(ctx, key, d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.PersonByAccount(ctx, "web", "u1")
	if err != nil || p.Name != "王代理" {
		t.Fatalf("reporter not created from the session: %+v %v", p, err)
	}
	tk, err := svc.Ticket(ctx, p, number)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tk.CategoryPath, "/") + " " + tk.Region; got != "CRM问题/提单系统 华东" {
		t.Fatalf("category and region stored as %q, want the zh-CN names", got)
	}
	if tk.Severity != backend.P1 || len(tk.Attachments) != 1 || tk.Attachments[0].Name != "屏幕截图.png" || tk.Attachments[0].SHA256 != shot.SHA256 || tk.Channel != "web" {
		t.Fatalf("ticket = %+v", tk)
	}

	d.Attachments = []dialogs.FileRef{{ID: strings.Repeat("f", 64)}}
	if _, err := f.FileTicket(ctx, key, d); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("unknown attachment: %v", err)
	}

	// A draft the backend refuses names the answers at fault, for the
	// dialog to ask again; contacts.phone is the contacts slot.
	bad := d
	bad.Attachments, bad.Severity, bad.Contacts.Phone = nil, "p3", "1380013800"
	bad.ID = "another-draft"
	var rejected *dialogs.RejectedError
	if _, err := f.FileTicket(ctx, key, bad); !errors.As(err, &rejected) || !slices.Equal(rejected.Slots, []string{"contacts"}) {
		t.Fatalf("refused draft: %v", err)
	}

	r := &Renderer{Cat: cat, People: store.Person}
	events, _ := store.Events(ctx, tk.ID)
	msg := notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudienceReporter}, Ticket: tk, Event: events[0], Recipient: p}
	p.Locale = "en"
	if got := r.Notice(ctx, msg); !strings.Contains(got, number) || !strings.Contains(got, "We have your report") {
		t.Fatalf("en notice = %q", got)
	}
	p.Locale = "zh-CN"
	if got := r.Notice(ctx, msg); !strings.Contains(got, "已收到您的问题") {
		t.Fatalf("zh notice = %q", got)
	}
	msg.Outbox.Audience = backend.AudienceTriage
	msg.Recipient = nil
	card := r.Notice(ctx, msg)
	if !strings.Contains(card, "138****8000") || strings.Contains(card, "13800138000") || strings.Contains(card, "hz-agent-01") {
		t.Fatalf("triage card leaks personal data: %q", card)
	}
	if !strings.Contains(card, "P1 紧急") || !strings.Contains(card, "CRM问题 / 提单系统") {
		t.Fatalf("card = %q", card)
	}
	if en := r.NoticeIn(ctx, "en", msg); !strings.Contains(en, "P1 urgent") || !strings.Contains(en, "138****8000") {
		t.Fatalf("triage card in en = %q", en)
	}
	mgr := &backend.Person{ID: 999, Roles: []backend.Role{backend.RoleManager}}
	if full := r.Card(ctx, "en", tk, mgr); !strings.Contains(full, "13800138000") {
		t.Fatalf("manager's card is masked: %q", full)
	}
	// A follow-up's urge reaches the handler as a request for a result.
	urge := notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudienceAssignee}, Ticket: tk, Recipient: p,
		Event: &backend.Event{Kind: backend.EventFollowUp, ActorID: p.ID, Data: backend.EventData{FollowUpStep: backend.StepUrged}}}
	if got := r.NoticeIn(ctx, "zh-CN", urge); !strings.Contains(got, "催促") || !strings.Contains(got, number) || !strings.Contains(got, "给出结果") {
		t.Fatalf("urge notice = %q", got)
	}
	// A survey that found the problem unsolved: the factors and the notes.
	unsolved := notify.Message{Outbox: &backend.OutboxMessage{Audience: backend.AudienceAssignee}, Ticket: tk, Recipient: p,
		Event: &backend.Event{Kind: backend.EventFollowUp, ActorID: p.ID, Body: "导出仍为空文件",
			Data: backend.EventData{FollowUpStep: backend.StepSurveyed, Factors: []backend.Factor{backend.FactorAttitude, backend.FactorFeature}}}}
	if got := r.NoticeIn(ctx, "zh-CN", unsolved); !strings.Contains(got, "仍未解决") || !strings.Contains(got, "服务态度、功能设置") ||
		!strings.Contains(got, "导出仍为空文件") || !strings.Contains(got, number) {
		t.Fatalf("unsolved survey notice = %q", got)
	}
	unsolved.Event.Body, unsolved.Event.Data.Factors = "", nil
	if got := r.NoticeIn(ctx, "en", unsolved); !strings.Contains(got, "still unsolved") || strings.Contains(got, "Factors") || strings.Contains(got, "Notes") {
		t.Fatalf("unsolved survey notice, no factors or notes = %q", got)
	}
}

// linker makes links for one person only, like the console does for staff.
type linker struct{}

func (linker) CreateMagicLink(_ context.Context, id int64) (string, error) {
	return "http://desk.example/console/magic/tok" + itoa(id), nil
}

func TestConsoleReply(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	staff := &backend.Person{ID: 7, Roles: []backend.Role{backend.RoleAssistant}, Locale: "en"}
	reporter := &backend.Person{ID: 8, Roles: []backend.Role{backend.RoleReporter}}
	for _, tc := range []struct {
		name  string
		p     *backend.Person
		links MagicLinker
		want  string
	}{
		{"Link", staff, linker{}, "http://desk.example/console/magic/tok7"},
		{"ErrNotStaff", reporter, linker{}, "只有已绑定的助理和主管"},
		{"ErrConsoleOff", staff, nil, "not enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConsoleReply(ctx, cat, tc.links, tc.p)
			if err != nil || !strings.Contains(got, tc.want) {
				t.Fatalf("reply = %q, %v; want it to contain %q", got, err, tc.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	for _, tc := range []struct {
		name string
		err  error
		loc  string
		want string
	}{
		{"NotFound", backend.Errorf(backend.ENOTFOUND, "ticket x"), "", "没有找到这个工单"},
		{"Invalid", &backend.Error{Code: backend.EINVALID, Message: "summary too short"}, "en", "summary too short"},
		{"Unavailable", backend.Errorf(backend.EUNAVAILABLE, "db down"), "zh-hans", "系统暂时不可用"},
		{"Internal", errors.New("secret pool address 10.0.0.3"), "", "出了点问题"},
		{"AckOwn", backend.Keyed(backend.EFORBIDDEN, backend.KeyAckOwn, map[string]any{"Number": "FB-20261122-0007"}, "ticket is yours"),
			"", "工单 FB-20261122-0007 由您处理，您本人的确认不会停止升级"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ErrorText(cat, log, "telegram", tc.loc, tc.err)
			if !strings.Contains(got, tc.want) || strings.Contains(got, "10.0.0.3") {
				t.Fatalf("ErrorText = %q, want it to contain %q and no internals", got, tc.want)
			}
		})
	}
	if !strings.Contains(logged.String(), "telegram: internal error") {
		t.Fatalf("internal error not logged: %q", logged.String())
	}
}
