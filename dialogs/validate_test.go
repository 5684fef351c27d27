package dialogs

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseContacts(t *testing.T) {
	all := allContactKinds
	ok := []struct {
		in   string
		want Contacts
	}{
		{"13800138000", Contacts{Phone: "13800138000"}},
		{"138 0013 8000", Contacts{Phone: "13800138000"}},
		{"138-0013-8000", Contacts{Phone: "13800138000"}},
		{"+86 138 0013 8000", Contacts{Phone: "13800138000"}},
		{"+8613800138000", Contacts{Phone: "13800138000"}},
		{"１３８００１３８０００", Contacts{Phone: "13800138000"}},
		{"手机：13800138000", Contacts{Phone: "13800138000"}},
		{"电话 19912345678", Contacts{Phone: "19912345678"}},
		{"name@example.com", Contacts{Email: "name@example.com"}},
		{"Name.Last+tag@Example.COM.cn", Contacts{Email: "Name.Last+tag@example.com.cn"}},
		{"邮箱a@b.cn", Contacts{Email: "a@b.cn"}},
		{"mail@example.com", Contacts{Email: "mail@example.com"}},
		{"qqfan@example.com", Contacts{Email: "qqfan@example.com"}},
		{"QQ 12345", Contacts{QQ: "12345"}},
		{"qq:12345678901", Contacts{QQ: "12345678901"}},
		{"QQ号1234567890", Contacts{QQ: "1234567890"}},
		{"123456", Contacts{QQ: "123456"}},
		{"13800138000 a@b.cn QQ 12345", Contacts{Phone: "13800138000", Email: "a@b.cn", QQ: "12345"}},
		{"13800138000，a@b.cn；qq：12345", Contacts{Phone: "13800138000", Email: "a@b.cn", QQ: "12345"}},
		{"13800138000 和 a@b.cn", Contacts{Phone: "13800138000", Email: "a@b.cn"}},
		{"13800138000 13800138000", Contacts{Phone: "13800138000"}},
		// As a Chinese IME writes them.
		{"13800138000。", Contacts{Phone: "13800138000"}},
		{"手机：13800138000。", Contacts{Phone: "13800138000"}},
		{"手机是13800138000", Contacts{Phone: "13800138000"}},
		{"QQ号码是123456", Contacts{QQ: "123456"}},
		{"邮箱为 a@b.cn！", Contacts{Email: "a@b.cn"}},
		{"（+86）13800138000", Contacts{Phone: "13800138000"}},
		{"(+86)138 0013 8000", Contacts{Phone: "13800138000"}},
		// Landlines and service lines (a business customer's phone).
		{"010-62345678", Contacts{Phone: "010-62345678"}},
		{"0755-86013388", Contacts{Phone: "0755-86013388"}},
		{"电话 01062345678", Contacts{Phone: "010-62345678"}},
		{"021 6234 5678", Contacts{Phone: "021-62345678"}},
		{"（0755）86013388", Contacts{Phone: "0755-86013388"}},
		{"400-800-8888", Contacts{Phone: "400-800-8888"}},
		{"电话 4008008888", Contacts{Phone: "400-800-8888"}},
		{"4001234567", Contacts{Phone: "400-123-4567"}},
		{"QQ 4001234567", Contacts{QQ: "4001234567"}},
		{"0571-8888888 QQ 12345", Contacts{Phone: "0571-8888888", QQ: "12345"}},
		{"li.0123456789@example.com", Contacts{Email: "li.0123456789@example.com"}},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.in, func(t *testing.T) {
			got, p := ParseContacts(tc.in, all)
			if p != nil {
				t.Fatalf("ParseContacts(%q): %v", tc.in, p)
			}
			if got != tc.want {
				t.Fatalf("ParseContacts(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
	bad := []struct {
		in    string
		kinds []ContactKind
		want  string // Problem.Error()
	}{
		{"", all, "dialog.err.contact.none"},
		{"和", all, "dialog.err.contact.none"},
		{"1380013800", all, "dialog.err.phone.length{Got=10}"},
		{"138001380001", all, "dialog.err.phone.length{Got=12}"},
		{"手机 1380013", all, "dialog.err.phone.length{Got=7}"},
		{"12800138000", all, "dialog.err.phone.prefix{Value=12800138000}"},
		{"手机 138abc", all, "dialog.err.phone.chars{Value=138abc}"},
		{"name@example", all, "dialog.err.email.invalid{Value=name@example}"},
		{"name@@example.com", all, "dialog.err.email.invalid{Value=name@@example.com}"},
		{"name..x@example.com", all, "dialog.err.email.invalid{Value=name..x@example.com}"},
		{"@example.com", all, "dialog.err.email.invalid{Value=@example.com}"},
		{"QQ 1234", all, "dialog.err.qq.length{Got=4}"},
		{"QQ 123456789012", all, "dialog.err.qq.length{Got=12}"},
		{"QQ 012345", all, "dialog.err.qq.invalid{Value=012345}"},
		{"QQ abcde", all, "dialog.err.qq.invalid{Value=abcde}"},
		{"QQ", all, "dialog.err.contact.label_only{Label=QQ}"},
		{"张先生 13800138000", all, "dialog.err.contact.unknown{Value=张先生}"},
		{"13800138000 13900139000", all, "dialog.err.contact.twice{KindKey=dialog.contact.phone}"},
		{"a@b.cn", []ContactKind{ContactPhone}, "dialog.err.contact.kind_not_allowed{KindKey=dialog.contact.email}"},
		{"010-6234", all, "dialog.err.phone.landline{Value=010-6234}"},
		{"01234", all, "dialog.err.phone.landline{Value=01234}"},
	}
	for _, tc := range bad {
		t.Run("Err/"+tc.in, func(t *testing.T) {
			got, p := ParseContacts(tc.in, tc.kinds)
			if p == nil {
				t.Fatalf("ParseContacts(%q) = %+v, want %s", tc.in, got, tc.want)
			}
			if p.Error() != tc.want {
				t.Fatalf("ParseContacts(%q): %v, want %s", tc.in, p, tc.want)
			}
		})
	}
}

// FuzzParseContacts: no panic, and whatever is accepted is valid and parses
// back to itself from the way the summary would list it.
func FuzzParseContacts(f *testing.F) {
	for _, s := range []string{"13800138000", "138 0013 8000", "+86-138-0013-8000", "a@b.cn", "QQ 12345", "qq:1234567890",
		"13800138000 a@b.cn qq 12345", "邮箱：x@y.com", "1380013800", "手机", "@", "qq@qq.com", "１３８００１３８０００", "a@b.cn,QQ:5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, p := ParseContacts(s, allContactKinds)
		if p != nil {
			if p.Key == "" {
				t.Fatalf("problem without key for %q", s)
			}
			return
		}
		if c.IsZero() {
			t.Fatalf("ParseContacts(%q) accepted no contact", s)
		}
		if c.Phone != "" && !rePhone.MatchString(c.Phone) {
			t.Fatalf("ParseContacts(%q): bad phone %q", s, c.Phone)
		}
		if c.QQ != "" && !reQQ.MatchString(c.QQ) {
			t.Fatalf("ParseContacts(%q): bad QQ %q", s, c.QQ)
		}
		if c.Email != "" && !reEmail.MatchString(c.Email) {
			t.Fatalf("ParseContacts(%q): bad e-mail %q", s, c.Email)
		}
		var parts []string
		if c.Phone != "" {
			parts = append(parts, "手机 "+c.Phone)
		}
		if c.Email != "" {
			parts = append(parts, "email "+c.Email)
		}
		if c.QQ != "" {
			parts = append(parts, "QQ "+c.QQ)
		}
		again, p := ParseContacts(strings.Join(parts, " "), allContactKinds)
		if p != nil || again != c {
			t.Fatalf("round trip of %q = %+v, %v; want %+v", s, again, p, c)
		}
	})
}

func TestValidateText(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max int
		want     string // value or problem
	}{
		{"房产放心房上线后不显示了", 10, 2000, "房产放心房上线后不显示了"},
		{"  padded answer here  ", 10, 2000, "padded answer here"},
		{"房产放心房不显示", 10, 2000, "dialog.err.text.short{Got=8 Min=10}"},
		{"   ", 10, 2000, "dialog.err.text.empty"},
		{strings.Repeat("长", 2001), 10, 2000, "dialog.err.text.long{Got=2001 Max=2000}"},
		{strings.Repeat("长", 2000), 10, 2000, strings.Repeat("长", 2000)},
	} {
		got, p := ValidateText(tc.in, tc.min, tc.max)
		if p != nil {
			got = p.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateText(%.20q) = %.40q, want %.40q", tc.in, got, tc.want)
		}
	}
}

func TestValidateID(t *testing.T) {
	fd := &Field{Pattern: regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{3,39}$`), keys: "form.feedback.order_number"}
	for _, tc := range []struct{ in, want string }{
		{"20261120003", "20261120003"},
		{" SO-2026-11 ", "SO-2026-11"},
		{"２０２６１１２０", "20261120"},
		{"2026 1120", "dialog.err.id.space{Value=2026 1120}"},
		{"-123", "dialog.err.id.pattern{ExampleKey=form.feedback.order_number.example Value=-123}"},
		{"订单12345", "dialog.err.id.pattern{ExampleKey=form.feedback.order_number.example Value=订单12345}"},
		{"", "dialog.err.text.empty"},
		// A label typed before the id.
		{"提单号：20261120003", "20261120003"},
		{"订单号是 SO-2026-11。", "SO-2026-11"},
		{"Order: SO-2026-11", "SO-2026-11"},
		{"order12345", "order12345"},
		{"编号2026-11", "dialog.err.id.pattern{ExampleKey=form.feedback.order_number.example Value=编号2026-11}"},
	} {
		got, p := ValidateID(tc.in, fd)
		if p != nil {
			got = p.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidateFile(t *testing.T) {
	fd := &Field{MaxSize: 1 << 20, ContentTypes: []string{"image/*", "application/pdf"}}
	for _, tc := range []struct {
		f    FileRef
		want string
	}{
		{FileRef{ID: "1", Name: "a.png", ContentType: "image/png", Size: 1000}, ""},
		{FileRef{ID: "2", Name: "b.pdf", ContentType: "application/pdf; charset=binary", Size: 1 << 20}, ""},
		{FileRef{ID: "3", Name: "c.png", ContentType: "image/png", Size: 1<<20 + 1}, "dialog.err.file.too_big{Max=1 MB Name=c.png Size=1.0 MB}"},
		{FileRef{ID: "4", Name: "d.exe", ContentType: "application/x-msdownload", Size: 10}, "dialog.err.file.type{AllowedKeys=[dialog.ctype.image dialog.ctype.pdf] Name=d.exe Type=application/x-msdownload}"},
		{FileRef{ID: "5", Size: 10}, "dialog.err.file.type{AllowedKeys=[dialog.ctype.image dialog.ctype.pdf] Name=5 Type=?}"},
	} {
		got := ""
		if p := ValidateFile(tc.f, fd); p != nil {
			got = p.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateFile(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10MiB": 10 << 20, "512KB": 512000, "2MB": 2000000, "100": 100, "1GiB": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ten", "-1MB", "0", "5 TB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestSessionKeyString(t *testing.T) {
	a := SessionKey{Platform: "t", ChatID: "a:b", UserID: "c"}
	b := SessionKey{Platform: "t", ChatID: "a", UserID: "b:c"}
	if a.String() == b.String() {
		t.Fatalf("keys collide: %s", a)
	}
}
