package dialogs

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Contacts are the ways to reach a customer; empty means not given.
type Contacts struct {
	Phone string `json:"p,omitempty"` // CN mobile (11 digits), landline (010-62345678) or 400/800 line
	Email string `json:"e,omitempty"`
	QQ    string `json:"q,omitempty"`
}

// IsZero reports whether no contact is set.
func (c Contacts) IsZero() bool { return c.Phone == "" && c.Email == "" && c.QQ == "" }

var (
	rePhone = regexp.MustCompile(`^1[3-9]\d{9}$`)
	// RFC 5322-ish: a dot-atom local part and a dotted domain of LDH labels.
	reEmail = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
	reQQ    = regexp.MustCompile(`^[1-9]\d{4,10}$`)
	// A landline: area code (010, 02x, or 0 and three digits) and 7–8
	// digits; a 400/800 service line has 10 digits.
	reLandline = regexp.MustCompile(`^0(?:[12]\d|[3-9]\d{2})\d{7,8}$`)
	reHotline  = regexp.MustCompile(`^[48]00\d{7}$`)
	// A landline or service line written in groups: 010 6234 5678,
	// (0755)86013388, 400-800-8888.
	reGroupedLandline = regexp.MustCompile(`\(?\b(0\d{2,3})\)?[ -]?(\d{3,4})[ -]?(\d{4})\b|\b([48]00)[ -](\d{3})[ -](\d{4})\b`)
	// A mobile number written in groups: 138 0013 8000, +86-138-0013-8000.
	reGroupedPhone = regexp.MustCompile(`(?:\+?86[ -]?)?\b1\d{2}[ -]\d{4}[ -]\d{4}\b`)
	// A label in front of a value: "QQ:12345", "手机 138…", "email=a@b.cn".
	// "手机是 138…", "QQ号码为 12345" as a Chinese IME user writes it.
	reContactLabel = regexp.MustCompile(`(?i)^(手机号码|手机号|手机|电话号码|电话|联系电话|mobile|phone|tel|cell|邮箱地址|邮箱|电子邮件|电邮|e-mail|email|mail|qq号码|qq号|qq)\s*(?:[:=]|是|为)?\s*`)
	reDigitsOnly   = regexp.MustCompile(`^\d+$`)
)

var contactFiller = []string{"和", "或", "或者", "以及", "and", "or", "&", "+"}

// ParseContacts reads phone numbers, e-mail addresses and QQ numbers from
// one message, labelled ("QQ 12345", "邮箱：a@b.cn") or not. Only kinds are
// accepted. At least one contact is required. Every part of the message
// must be understood: an unknown word is reported, not ignored.
func ParseContacts(s string, kinds []ContactKind) (Contacts, *Problem) {
	var c Contacts
	s = normalizeInput(s)
	if s == "" {
		return c, problem("dialog.err.contact.none")
	}
	s = countryCode.Replace(s)
	s = joinLines(s)
	s = reGroupedPhone.ReplaceAllStringFunc(s, func(m string) string {
		m = phoneSeparators.Replace(m)
		if len(m) == 13 && strings.HasPrefix(m, "86") {
			m = m[2:]
		}
		return m
	})
	s = contactSeparators.Replace(s)
	tokens := strings.Fields(s)
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		if slices.Contains(contactFiller, strings.ToLower(tok)) {
			continue
		}
		kind := ContactKind("")
		if m := reContactLabel.FindString(tok); m != "" && isLabel(m, tok[len(m):]) {
			kind = labelKind(m)
			tok = tok[len(m):]
			tok = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(tok, "是"), "为"), ":=")
			if tok == "" { // label and value are separate words
				if i+1 >= len(tokens) {
					return c, problem("dialog.err.contact.label_only", "Label", strings.TrimRight(m, ":= "))
				}
				i++
				tok = strings.TrimLeft(tokens[i], ":=")
			}
		}
		if kind == "" {
			kind = guessKind(tok)
		}
		if kind == "" {
			return c, problem("dialog.err.contact.unknown", "Value", clip(tok, 40))
		}
		if !slices.Contains(kinds, kind) {
			return c, problem("dialog.err.contact.kind_not_allowed", "KindKey", "dialog.contact."+string(kind))
		}
		v, p := validateContact(kind, tok)
		if p != nil {
			return c, p
		}
		dst := map[ContactKind]*string{ContactPhone: &c.Phone, ContactEmail: &c.Email, ContactQQ: &c.QQ}[kind]
		if *dst != "" && *dst != v {
			return c, problem("dialog.err.contact.twice", "KindKey", "dialog.contact."+string(kind))
		}
		*dst = v
	}
	if c.IsZero() {
		return c, problem("dialog.err.contact.none")
	}
	return c, nil
}

// joinLines writes landlines and service lines given in groups as one
// token: 0755-86013388, 400-800-8888. A match inside a word (the digits
// of an e-mail address) is left alone.
func joinLines(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range reGroupedLandline.FindAllStringIndex(s, -1) {
		if m[0] > 0 && strings.ContainsAny(s[m[0]-1:m[0]], ".@_+") || m[1] < len(s) && strings.ContainsAny(s[m[1]:m[1]+1], ".@_") {
			continue
		}
		v, p := validateContact(ContactPhone, lineSeparators.Replace(s[m[0]:m[1]]))
		if p != nil {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(v)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// isLabel tells a label ("email:", "QQ") from the start of a value
// ("mail@example.com", "qqfan@example.com"): an ASCII label glued to what
// follows must be followed by a digit.
func isLabel(label, rest string) bool {
	if rest == "" || strings.ContainsAny(label, ":= ") || label[0] >= 0x80 {
		return true
	}
	return rest[0] >= '0' && rest[0] <= '9'
}

func labelKind(label string) ContactKind {
	l := strings.ToLower(label)
	switch {
	case strings.Contains(l, "qq"):
		return ContactQQ
	case strings.Contains(l, "mail") || strings.Contains(l, "邮"):
		return ContactEmail
	default:
		return ContactPhone
	}
}

// guessKind classifies an unlabelled value. A run of digits that starts
// like a mobile number (1 then 3–9) is a phone, even with the wrong length,
// so the reporter hears "a phone number has 11 digits"; so are landlines
// (0…) and 400/800 service lines; other runs of 5–11 digits are QQ
// numbers.
func guessKind(tok string) ContactKind {
	if strings.Contains(tok, "@") {
		return ContactEmail
	}
	d := strings.TrimPrefix(strings.ReplaceAll(tok, "-", ""), "+86")
	if !reDigitsOnly.MatchString(d) {
		return ""
	}
	if len(d) == 11 && d[0] == '1' || d[0] == '0' { // a QQ number never starts with 0
		return ContactPhone
	}
	if reHotline.MatchString(d) { // 400-800-8888, 4008008888: a QQ number is labelled as one
		return ContactPhone
	}
	if len(d) >= 2 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && len(d) >= 9 && len(d) <= 13 {
		return ContactPhone
	}
	if len(d) >= 5 && len(d) <= 11 {
		return ContactQQ
	}
	if len(d) > 0 {
		return ContactPhone // too short or too long for anything: say so as a phone
	}
	return ""
}

// validateContact checks one value of a known kind and returns it in
// canonical form.
func validateContact(kind ContactKind, v string) (string, *Problem) {
	switch kind {
	case ContactPhone:
		d := strings.ReplaceAll(v, "-", "")
		if strings.HasPrefix(d, "+86") {
			d = d[3:]
		} else if len(d) == 13 && strings.HasPrefix(d, "86") {
			d = d[2:]
		}
		if !reDigitsOnly.MatchString(d) {
			return "", problem("dialog.err.phone.chars", "Value", clip(v, 40))
		}
		if d[0] == '0' {
			if !reLandline.MatchString(d) {
				return "", problem("dialog.err.phone.landline", "Value", clip(v, 40))
			}
			area := 4
			if d[1] == '1' || d[1] == '2' {
				area = 3
			}
			return d[:area] + "-" + d[area:], nil
		}
		if reHotline.MatchString(d) {
			return d[:3] + "-" + d[3:6] + "-" + d[6:], nil
		}
		if len(d) != 11 {
			return "", problem("dialog.err.phone.length", "Got", len(d))
		}
		if !rePhone.MatchString(d) {
			return "", problem("dialog.err.phone.prefix", "Value", d)
		}
		return d, nil
	case ContactEmail:
		e := strings.Trim(v, "<>")
		at := strings.LastIndexByte(e, '@')
		if at <= 0 || at > 64 || len(e) > 254 || !reEmail.MatchString(e) || !utf8.ValidString(e) {
			return "", problem("dialog.err.email.invalid", "Value", clip(v, 60))
		}
		return e[:at] + "@" + strings.ToLower(e[at+1:]), nil
	case ContactQQ:
		if !reDigitsOnly.MatchString(v) || v[0] == '0' {
			return "", problem("dialog.err.qq.invalid", "Value", clip(v, 40))
		}
		if !reQQ.MatchString(v) {
			return "", problem("dialog.err.qq.length", "Got", len(v))
		}
		return v, nil
	}
	return "", problem("dialog.err.contact.unknown", "Value", clip(v, 40))
}

var (
	// phoneSeparators are dropped from a phone number written in groups.
	phoneSeparators = strings.NewReplacer(" ", "", "-", "", "+", "")
	lineSeparators  = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "")
	// contactSeparators split several contacts given in one answer.
	// contactSeparators split several contacts given in one answer; a
	// full stop or brackets an IME adds around them are separators too.
	contactSeparators = strings.NewReplacer(",", " ", ";", " ", "、", " ", "，", " ", "；", " ", "/", " ", "|", " ",
		"。", " ", "!", " ", "(", " ", ")", " ")
	// countryCode in brackets, "(+86)138…", is dropped (after width.Fold).
	countryCode = strings.NewReplacer("(+86)", "", "(86)", "")
)
