package dialogs

import (
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/deskbot/deskbot/backend/size"
)

// normalizeInput folds full-width characters (１２：３０, ＠) to their ASCII
// forms, turns all white space into single spaces and trims.
func normalizeInput(s string) string {
	s = width.Fold.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// ValidateText checks a free-text answer's length in characters.
func ValidateText(s string, minLen, maxLen int) (string, *Problem) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", problem("dialog.err.text.empty")
	case n < minLen:
		return "", problem("dialog.err.text.short", "Min", minLen, "Got", n)
	case maxLen > 0 && n > maxLen:
		return "", problem("dialog.err.text.long", "Max", maxLen, "Got", n)
	}
	return s, nil
}

// reIDLabel is a label typed before an id ("提单号：2026…", "账号是 abc").
// A label needs a colon, 是/为 or a space after it, so that an id which
// starts like one ("account_bj", "账户zhang01") is left alone.
var reIDLabel = regexp.MustCompile(`(?i)^(?:销售订单号|提单号|订单号|单号|会员账号|登录账号|账号|帐号|账户|帖子编号|店铺编号|编号|order number|order no\.?|order|account|id)(?:\s*(?::|是|为)|\s)\s*`)

// ValidateID checks a reference, order number or account against the
// field's pattern. exampleKey is the catalog key of an example value.
func ValidateID(s string, fd *Field) (string, *Problem) {
	s = strings.TrimRight(reIDLabel.ReplaceAllString(normalizeInput(s), ""), "。!")
	if s == "" {
		return "", problem("dialog.err.text.empty")
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", problem("dialog.err.id.space", "Value", clip(s, 40))
	}
	if fd.Pattern != nil && !fd.Pattern.MatchString(s) {
		return "", problem("dialog.err.id.pattern", "Value", clip(s, 40), "ExampleKey", fd.Key("example"))
	}
	return s, nil
}

// FileRef is a file the channel received. ID is whatever the channel needs
// to fetch it later (a Telegram file_id, a Slack file id, an upload id).
type FileRef struct {
	ID          string `json:"id"`
	Name        string `json:"n,omitempty"`
	ContentType string `json:"t,omitempty"`
	Size        int64  `json:"s,omitempty"`
}

// ValidateFile checks one file against an attachments field's limits.
func ValidateFile(f FileRef, fd *Field) *Problem {
	name := f.Name
	if name == "" {
		name = f.ID
	}
	if fd.MaxSize > 0 && f.Size > fd.MaxSize {
		return problem("dialog.err.file.too_big", "Name", clip(name, 60), "Size", size.Text(f.Size), "Max", size.Text(fd.MaxSize))
	}
	if len(fd.ContentTypes) > 0 && !contentTypeAllowed(f.ContentType, fd.ContentTypes) {
		ct := f.ContentType
		if ct == "" {
			ct = "?"
		}
		return problem("dialog.err.file.type", "Name", clip(name, 60), "Type", ct, "AllowedKeys", typeKeys(fd.ContentTypes))
	}
	return nil
}

// typeKeys names content types for people: the catalog key of a kind
// ("dialog.ctype.image" for image/*) where there is one, else the type.
func typeKeys(types []string) []string {
	keys := make([]string, len(types))
	for i, ct := range types {
		switch ct = strings.ToLower(ct); ct {
		case "image/*", "video/*", "audio/*", "text/*":
			keys[i] = "dialog.ctype." + strings.TrimSuffix(ct, "/*")
		case "application/pdf":
			keys[i] = "dialog.ctype.pdf"
		default:
			keys[i] = ct
		}
	}
	return keys
}

func contentTypeAllowed(ct string, allowed []string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	for _, a := range allowed {
		if ok, _ := path.Match(strings.ToLower(a), ct); ok {
			return true
		}
	}
	return false
}

// clip shortens s to at most n characters for quoting it back.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
