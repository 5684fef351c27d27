package dialogs

import (
	"slices"
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/backend/size"
)

// T translates id in the dialog's language.
func (t *turn) T(id string, data map[string]any) string {
	return t.e.cat.T(t.locale, id, data)
}

// say adds a plain text reply, joined to the previous one when that is
// plain text too, so a turn sends few messages (chat platforms rate-limit).
func (t *turn) say(id string, data map[string]any) {
	text := t.T(id, data)
	if n := len(t.out.Replies); n > 0 {
		if last := &t.out.Replies[n-1]; len(last.Buttons) == 0 && !last.ExpectFile && last.Summary == nil {
			last.Text += "\n" + text
			return
		}
	}
	t.out.Replies = append(t.out.Replies, Reply{Text: text})
}

// add adds a reply, joined to the previous one when that is plain text, so
// an acknowledgement and the next question arrive as one message.
func (t *turn) add(r Reply) {
	n := len(t.out.Replies)
	if n > 0 {
		last := &t.out.Replies[n-1]
		if len(last.Buttons) == 0 && !last.ExpectFile && last.Summary == nil {
			r.Text = last.Text + "\n\n" + r.Text
			t.out.Replies[n-1] = r
			return
		}
	}
	t.out.Replies = append(t.out.Replies, r)
}

func (t *turn) btn(id, key string, data map[string]any) Button {
	return Button{ID: id, Label: t.T(key, data)}
}

// intro greets and asks the first question.
func (t *turn) intro() {
	t.say(t.form.Key("intro"), map[string]any{"Count": len(t.form.Fields)})
	t.ask()
}

// startMenu offers the forms to start.
func (t *turn) startMenu() {
	var row []Button
	for _, id := range t.e.forms.IDs() {
		f, _ := t.e.forms.Get(id)
		row = append(row, Button{ID: "start:" + id, Label: t.e.cat.T(t.locale, f.Key("title"), nil)})
	}
	t.add(Reply{Text: t.T("dialog.start.menu", nil), Buttons: [][]Button{row}})
}

// ask shows the current field's question.
func (t *turn) ask() {
	st := t.st
	fd := t.field()
	var b strings.Builder
	b.WriteString(t.T("dialog.progress", map[string]any{"N": fd.Index + 1, "Total": len(t.form.Fields), "Label": t.T(fd.Key("label"), nil)}))
	b.WriteString("\n")
	var buttons [][]Button
	expectFile := false

	switch {
	case fd.Type == TypeTree && st.Other:
		o := findOption(fd.Options, strings.Join(st.Path, "/"))
		b.WriteString(t.T("dialog.tree.other", map[string]any{"Path": t.pathLabel(fd, st.Path), "Max": fd.OtherMaxLength, "Option": t.T(o.Key, nil)}))
	case fd.Type == TypeTree && len(st.Path) > 0:
		b.WriteString(t.T("dialog.tree.child", map[string]any{"Path": t.pathLabel(fd, st.Path)}))
		buttons = t.optionButtons(fd, t.treeLevel(fd), 2)
	default:
		b.WriteString(t.T(fd.Key("prompt"), nil))
		switch fd.Type {
		case TypeChoice, TypeTree:
			buttons = t.optionButtons(fd, t.treeLevel(fd), 3)
			if fd.FreeText {
				b.WriteString("\n" + t.T("dialog.choice.free_text", nil))
			}
		case TypeSeverity:
			for _, o := range fd.Options {
				b.WriteString("\n\n" + t.T("dialog.severity.level", map[string]any{"Level": o.ID, "Name": t.T(o.Key, nil), "Examples": t.T(o.Key+".examples", nil)}))
			}
			buttons = t.optionButtons(fd, fd.Options, 1)
		case TypeText:
			b.WriteString("\n" + t.T("dialog.text.limits", map[string]any{"Min": fd.MinLength, "Max": fd.MaxLength}))
		case TypeID:
			b.WriteString("\n" + t.T("dialog.id.example", map[string]any{"Example": t.T(fd.Key("example"), nil)}))
			if buttons = t.orderButtons(fd); len(buttons) > 0 {
				b.WriteString("\n" + t.T("dialog.customer.pick_order", nil))
			}
		case TypeAttachments:
			expectFile = true
			n := 0
			if a := st.Answers[fd.ID]; a != nil {
				n = len(a.Files)
			}
			b.WriteString("\n" + t.T("dialog.files.limits", map[string]any{"Max": fd.MaxFiles, "MaxSize": size.Text(fd.MaxSize), "Got": n}))
			buttons = append(buttons, []Button{t.btn("cmd:done", "dialog.btn.done", nil)})
		}
	}

	required := fd.IsRequired(st.Answers)
	switch {
	case required && fd.RequiredIf != nil:
		b.WriteString("\n" + t.T("dialog.required_because", map[string]any{"Rule": t.conditionText(fd.RequiredIf)}))
	case !required:
		b.WriteString("\n" + t.T("dialog.optional", nil))
	}
	cur := st.Answers[fd.ID]
	canKeep := cur != nil && len(st.Path) == 0 && !st.Other && !(cur.empty() && required) && fd.Type != TypeAttachments
	if canKeep {
		v := t.value(fd, cur)
		if v == "" {
			v = t.T("dialog.value.none", nil)
		}
		b.WriteString("\n" + t.T("dialog.current", map[string]any{"Value": v}))
	}

	var nav []Button
	if len(st.History) > 0 || st.Editing || len(st.Path) > 0 || st.Other {
		nav = append(nav, t.btn("cmd:back", "dialog.btn.back", nil))
	}
	if canKeep {
		nav = append(nav, t.btn("cmd:keep", "dialog.btn.keep", nil))
	}
	if !required && fd.Type != TypeAttachments {
		nav = append(nav, t.btn("cmd:skip", "dialog.btn.skip", nil))
	} else if !required && fd.Type == TypeAttachments {
		buttons[len(buttons)-1] = append(buttons[len(buttons)-1], t.btn("cmd:skip", "dialog.btn.skip", nil))
	}
	nav = append(nav, t.btn("cmd:cancel", "dialog.btn.cancel", nil))
	buttons = append(buttons, nav)
	t.add(Reply{Text: b.String(), Buttons: buttons, ExpectFile: expectFile})
}

func (t *turn) optionButtons(fd *Field, opts []*Option, perRow int) [][]Button {
	var rows [][]Button
	var row []Button
	for _, o := range opts {
		label := t.T(o.Key, nil)
		if fd.Type == TypeSeverity {
			label = o.ID + " " + label
		}
		row = append(row, Button{ID: "opt:" + fd.ID + ":" + o.Path, Label: label})
		if len(row) == perRow {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

func (t *turn) pathLabel(fd *Field, path []string) string {
	labels := make([]string, 0, len(path))
	for i := range path {
		if o := findOption(fd.Options, strings.Join(path[:i+1], "/")); o != nil {
			labels = append(labels, t.T(o.Key, nil))
		}
	}
	return strings.Join(labels, " / ")
}

// conditionText renders a rule for the reporter: "问题级别为 P1 紧急 或 P2 重要".
func (t *turn) conditionText(c *Condition) string {
	ref := t.form.Field(c.Field)
	vals := make([]string, 0, len(c.Values))
	for _, v := range c.Values {
		o := findOption(ref.Options, v)
		label := t.T(o.Key, nil)
		if ref.Type == TypeSeverity {
			label = o.ID + " " + label
		}
		vals = append(vals, label)
	}
	key := "dialog.rule.in"
	if c.Negate {
		key = "dialog.rule.not_in"
	}
	return t.T(key, map[string]any{"Label": t.T(ref.Key("label"), nil), "Values": strings.Join(vals, t.T("dialog.rule.or", nil))})
}

// value renders an answer for the summary and acknowledgements.
func (t *turn) value(fd *Field, a *Answer) string {
	return renderValue(t.e, t.locale, fd, a)
}

func renderValue(e *Engine, locale string, fd *Field, a *Answer) string {
	if a.empty() {
		return ""
	}
	T := func(id string, data map[string]any) string { return e.cat.T(locale, id, data) }
	switch fd.Type {
	case TypeChoice, TypeSeverity:
		if a.Option == "" {
			return a.Text
		}
		o := findOption(fd.Options, a.Option)
		if o == nil {
			return a.Option
		}
		if fd.Type == TypeSeverity {
			return o.ID + " " + T(o.Key, nil)
		}
		return T(o.Key, nil)
	case TypeTree:
		labels := make([]string, 0, len(a.Path))
		for i := range a.Path {
			if o := findOption(fd.Options, strings.Join(a.Path[:i+1], "/")); o != nil {
				labels = append(labels, T(o.Key, nil))
			}
		}
		s := strings.Join(labels, " / ")
		if a.Other != "" {
			s += T("dialog.value.other", map[string]any{"Text": a.Other})
		}
		return s
	case TypeDateTime:
		return a.Time.Time.In(e.loc).Format(dateLayout(a.Time.DateOnly))
	case TypeContact:
		var parts []string
		c := a.Contacts
		if c.Phone != "" {
			parts = append(parts, T("dialog.contact.phone", nil)+" "+c.Phone)
		}
		if c.Email != "" {
			parts = append(parts, T("dialog.contact.email", nil)+" "+c.Email)
		}
		if c.QQ != "" {
			parts = append(parts, T("dialog.contact.qq", nil)+" "+c.QQ)
		}
		return strings.Join(parts, T("dialog.value.sep", nil))
	case TypeAttachments:
		names := make([]string, len(a.Files))
		for i, f := range a.Files {
			names[i] = fileName(f)
		}
		return T("dialog.value.files", map[string]any{"Count": len(a.Files), "Names": strings.Join(names, ", ")})
	}
	return a.Text
}

func dateLayout(dateOnly bool) string {
	if dateOnly {
		return "2006-01-02"
	}
	return "2006-01-02 15:04"
}

// card builds the numbered summary of every field.
func (t *turn) card(titleKey string) (*SummaryCard, string) {
	c := &SummaryCard{Title: t.T(titleKey, map[string]any{"Form": t.T(t.form.Key("title"), nil)})}
	var b strings.Builder
	b.WriteString(c.Title)
	for _, fd := range t.form.Fields {
		a := t.st.Answers[fd.ID]
		it := SummaryItem{N: fd.Index + 1, Field: fd.ID, Label: t.T(fd.Key("label"), nil), Required: fd.IsRequired(t.st.Answers)}
		if a != nil {
			it.Value = t.value(fd, a)
		}
		c.Items = append(c.Items, it)
		v := it.Value
		if v == "" {
			v = t.T("dialog.value.none", nil)
		}
		b.WriteString("\n" + strconv.Itoa(it.N) + ". " + it.Label + t.T("dialog.value.colon", nil) + v)
	}
	if sev, ok := t.form.Fixed[SlotSeverity]; ok {
		b.WriteString("\n" + t.T("dialog.value.fixed_severity", map[string]any{"Level": sev}))
	}
	return c, b.String()
}

// review shows the summary card with edit buttons.
func (t *turn) review() {
	c, text := t.card("dialog.review.title")
	text += "\n\n" + t.T("dialog.review.footer", nil)
	var rows [][]Button
	var row []Button
	for _, it := range c.Items {
		row = append(row, t.btn("cmd:edit:"+strconv.Itoa(it.N), "dialog.btn.edit", map[string]any{"N": it.N}))
		if len(row) == 5 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, []Button{t.btn("cmd:submit", "dialog.btn.submit", nil), t.btn("cmd:cancel", "dialog.btn.cancel", nil)})
	t.add(Reply{Text: text, Buttons: rows, Summary: c})
}

// confirmCard shows the full summary once more before filing.
func (t *turn) confirmCard() {
	c, text := t.card("dialog.confirm.title")
	text += "\n\n" + t.T("dialog.confirm.footer", nil)
	t.add(Reply{Text: text, Summary: c, Buttons: [][]Button{{
		t.btn("cmd:confirm", "dialog.btn.confirm", nil),
		t.btn("cmd:back", "dialog.btn.back_edit", nil),
	}}})
}

func (t *turn) fileFailed() {
	c, text := t.card("dialog.confirm.title")
	t.out.Replies = append(t.out.Replies, Reply{Text: t.T("dialog.file_failed", nil)})
	t.out.Replies = append(t.out.Replies, Reply{Text: text, Summary: c, Buttons: [][]Button{{
		t.btn("cmd:confirm", "dialog.btn.submit_again", nil),
		t.btn("cmd:back", "dialog.btn.back_edit", nil),
	}}})
}

// fileRejected names the answers the ticket system refused and shows the
// review, whose buttons edit them.
func (t *turn) fileRejected(slots []string) {
	var labels []string
	for _, fd := range t.form.Fields {
		if (fd.Slot != SlotNone && slices.Contains(slots, string(fd.Slot))) || slices.Contains(slots, fd.ID) {
			labels = append(labels, t.T("dialog.file_rejected.item", map[string]any{"N": fd.Index + 1, "Label": t.T(fd.Key("label"), nil)}))
		}
	}
	if len(labels) == 0 {
		t.say("dialog.file_rejected.unknown", nil)
	} else {
		t.say("dialog.file_rejected", map[string]any{"Fields": strings.Join(labels, t.T("dialog.list_sep", nil))})
	}
	t.review()
}

func (t *turn) showSuggestions() {
	t.say("dialog.suggest.title", nil)
	for _, s := range t.st.Suggestions {
		switch s.Kind {
		case SuggestionIncident:
			text := t.T("dialog.suggest.incident", map[string]any{"ID": s.ID, "Title": s.Title, "Count": s.Count})
			if s.Body != "" {
				text += "\n" + s.Body
			}
			t.add(Reply{Text: text, Buttons: [][]Button{{t.btn("sug:join:"+s.ID, "dialog.btn.join", map[string]any{"ID": s.ID})}}})
		case SuggestionTicket:
			text := t.T("dialog.suggest.ticket", map[string]any{"ID": s.ID, "Title": s.Title, "Status": t.T("status."+s.Status, nil)})
			t.add(Reply{Text: text, Buttons: [][]Button{{t.btn("sug:add:"+s.ID, "dialog.btn.add", map[string]any{"ID": s.ID})}}})
		default:
			text := t.T("dialog.suggest.kb", map[string]any{"ID": s.ID, "Title": s.Title})
			if s.Body != "" {
				text += "\n" + s.Body
			}
			t.add(Reply{Text: text, Buttons: [][]Button{{t.btn("sug:solved:"+s.ID, "dialog.btn.solved", nil)}}})
		}
	}
	t.add(Reply{Text: t.T("dialog.suggest.footer", nil), Buttons: [][]Button{{
		t.btn("sug:continue", "dialog.btn.continue", nil),
		t.btn("cmd:cancel", "dialog.btn.cancel", nil),
	}}})
}

func (t *turn) helpKey(fd *Field) string {
	if t.e.cat.Has(fd.Key("help")) {
		return fd.Key("help")
	}
	return "dialog.help." + string(fd.Type)
}

func (t *turn) helpData(fd *Field) map[string]any {
	d := map[string]any{"Min": fd.MinLength, "Max": fd.MaxLength, "MaxFiles": fd.MaxFiles, "MaxSize": size.Text(fd.MaxSize)}
	if fd.Type == TypeID {
		d["Example"] = t.T(fd.Key("example"), nil)
	}
	return d
}
