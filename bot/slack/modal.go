package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
)

// Callback ids of the views the channel opens.
const (
	cbTicket = "ticket" // the intake modal
	cbAct    = "act"    // a staff action that needs a text (return, ask, resolve)
)

// Block and action ids inside the intake modal: each field is an input
// block with the field's id and the action "v"; a tree field's root select
// has the action "root" and dispatches, so picking it adds the child
// select (block "<field>__child") and, where a leaf is "other", a text box
// (block "<field>__other"). A choice that allows free text has a text box
// under its select (block "<field>__text"): one of the two is the answer.
const (
	actValue  = "v"
	actRoot   = "root"
	sufChild  = "__child"
	sufOther  = "__other"
	sufText   = "__text"
	metaSep   = "|"
	maxOption = 75 // Slack's limit on an option's text
)

func plainN(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clip(s, n), false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(escape(s), 3000), false, false)
}

// escape makes text safe for mrkdwn (Slack's three control characters).
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// modalMeta is what the modal carries in private_metadata: the form, and
// for a tree field the root chosen so far.
type modalMeta struct {
	Form  string
	Roots map[string]string // field id → root option path
}

func (m modalMeta) String() string {
	parts := []string{m.Form}
	for f, r := range m.Roots {
		parts = append(parts, f+"="+r)
	}
	return strings.Join(parts, metaSep)
}

func parseMeta(s string) modalMeta {
	parts := strings.Split(s, metaSep)
	m := modalMeta{Form: parts[0], Roots: map[string]string{}}
	for _, p := range parts[1:] {
		if f, r, ok := strings.Cut(p, "="); ok {
			m.Roots[f] = r
		}
	}
	return m
}

// modal builds the intake modal of form f in loc from the same form
// definition the chat dialog asks: one input block per field, choices as
// selects, severities as radio buttons with their examples, the category
// tree as dependent selects, files as a file input. Fields required only
// under a condition are optional in the modal, with the rule as a hint;
// ValidateAll enforces them on submit.
func (c *Channel) modal(f *dialogs.Form, loc string, meta modalMeta) slack.ModalViewRequest {
	T := func(key string) string { return c.cat.T(loc, key, nil) }
	blocks := []slack.Block{}
	if intro := c.cat.T(loc, f.Key("intro"), map[string]any{"Count": len(f.Fields)}); intro != "" {
		blocks = append(blocks, slack.NewContextBlock("intro", mrkdwn(intro)))
	}
	for _, fd := range f.Fields {
		label := plainN(T(fd.Key("label")), 2000)
		var hint string
		if c.cat.HasIn(loc, fd.Key("help")) {
			hint = T(fd.Key("help"))
		}
		if rule := c.engine.RuleText(f, fd, loc); rule != "" {
			hint = strings.TrimSpace(c.cat.T(loc, "slack.modal.required_if", map[string]any{"Rule": rule}) + " " + hint)
		}
		var el slack.BlockElement
		dispatch := false
		switch fd.Type {
		case dialogs.TypeText, dialogs.TypeID, dialogs.TypeDateTime, dialogs.TypeContact:
			in := slack.NewPlainTextInputBlockElement(plainN(c.placeholder(loc, fd), 150), actValue)
			if fd.Type == dialogs.TypeText {
				in.Multiline = fd.MaxLength == 0 || fd.MaxLength > 200
				if fd.MaxLength > 0 && fd.MaxLength <= 3000 {
					in.MaxLength = fd.MaxLength
				}
			}
			el = in
		case dialogs.TypeChoice:
			var opts []*slack.OptionBlockObject
			for _, o := range fd.Options {
				opts = append(opts, slack.NewOptionBlockObject(o.ID, plainN(T(o.Key), maxOption), nil))
			}
			el = slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(T("slack.modal.choose"), 150), actValue, opts...)
		case dialogs.TypeSeverity:
			var opts []*slack.OptionBlockObject
			for _, o := range fd.Options {
				var desc *slack.TextBlockObject
				if ex := o.Key + ".examples"; c.cat.HasIn(loc, ex) {
					desc = plainN(T(ex), maxOption)
					hint = strings.TrimSpace(hint + "\n" + o.ID + " " + T(o.Key) + ": " + T(ex))
				}
				opts = append(opts, slack.NewOptionBlockObject(o.ID, plainN(o.ID+" "+T(o.Key), maxOption), desc))
			}
			el = slack.NewRadioButtonsBlockElement(actValue, opts...)
		case dialogs.TypeTree:
			var opts []*slack.OptionBlockObject
			for _, o := range fd.Options {
				opts = append(opts, slack.NewOptionBlockObject(o.Path, plainN(T(o.Key), maxOption), nil))
			}
			el = slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(T("slack.modal.choose"), 150), actRoot, opts...)
			dispatch = true
		case dialogs.TypeAttachments:
			fi := slack.NewFileInputBlockElement(actValue)
			if fd.MaxFiles > 0 {
				fi.MaxFiles = min(fd.MaxFiles, 10)
			}
			el = fi
		default:
			continue
		}
		ib := slack.NewInputBlock(fd.ID, label, nil, el)
		if hint != "" {
			ib.Hint = plainN(hint, 2000)
		}
		ib.Optional = !fd.Required
		ib.DispatchAction = dispatch
		blocks = append(blocks, ib)
		switch {
		case fd.Type == dialogs.TypeTree:
			blocks = append(blocks, c.treeChildren(fd, loc, meta.Roots[fd.ID])...)
		case hasFreeText(fd):
			// The select or the text box: Slack may not insist on the select.
			ib.Optional = true
			blocks = append(blocks, c.freeTextInput(fd, loc))
		}
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      cbTicket,
		Title:           plainN(c.cat.T(loc, f.Key("title"), nil), 24),
		Submit:          plainN(T("slack.modal.submit"), 24),
		Close:           plainN(T("slack.modal.close"), 24),
		PrivateMetadata: meta.String(),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// treeChildren are the blocks under a tree field once its root is known:
// the child select, and a text box when a child is "other".
func (c *Channel) treeChildren(fd *dialogs.Field, loc, root string) []slack.Block {
	var o *dialogs.Option
	for _, r := range fd.Options {
		if r.Path == root {
			o = r
		}
	}
	if o == nil || len(o.Children) == 0 {
		return nil
	}
	var opts []*slack.OptionBlockObject
	other := false
	for _, ch := range o.Children {
		opts = append(opts, slack.NewOptionBlockObject(ch.Path, plainN(c.cat.T(loc, ch.Key, nil), maxOption), nil))
		other = other || ch.Other
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(c.cat.T(loc, "slack.modal.choose", nil), 150), actValue, opts...)
	label := c.cat.T(loc, o.Key, nil) + " · " + c.cat.T(loc, fd.Key("label"), nil)
	child := slack.NewInputBlock(fd.ID+sufChild, plainN(label, 2000), nil, sel)
	child.Optional = !fd.Required
	blocks := []slack.Block{child}
	if other {
		in := slack.NewPlainTextInputBlockElement(nil, actValue)
		if fd.OtherMaxLength > 0 {
			in.MaxLength = fd.OtherMaxLength
		}
		ob := slack.NewInputBlock(fd.ID+sufOther, plainN(c.cat.T(loc, "slack.modal.other", nil), 2000), nil, in)
		ob.Optional = true
		blocks = append(blocks, ob)
	}
	return blocks
}

// hasFreeText reports whether fd is a choice that takes any other text too.
func hasFreeText(fd *dialogs.Field) bool {
	return fd.Type == dialogs.TypeChoice && fd.FreeText
}

// freeTextInput is the optional text box under a free-text choice's
// select, for an answer that is not in the list.
func (c *Channel) freeTextInput(fd *dialogs.Field, loc string) slack.Block {
	in := slack.NewPlainTextInputBlockElement(nil, actValue)
	if fd.MaxLength > 0 && fd.MaxLength <= 3000 {
		in.MaxLength = fd.MaxLength
	}
	label := c.cat.T(loc, "slack.modal.free_text", map[string]any{"Label": c.cat.T(loc, fd.Key("label"), nil)})
	b := slack.NewInputBlock(fd.ID+sufText, plainN(label, 2000), plainN(c.cat.T(loc, "dialog.choice.free_text", nil), 2000), in)
	b.Optional = true
	return b
}

// freeTextProblems are the free-text choices answered twice, picked in
// the select and typed in the box: a problem on the box, since either
// could be meant.
func (c *Channel) freeTextProblems(f *dialogs.Form, st *slack.ViewState, loc string) map[string]string {
	out := map[string]string{}
	for _, fd := range f.Fields {
		if !hasFreeText(fd) || st == nil {
			continue
		}
		picked := st.Values[fd.ID][actValue].SelectedOption.Value
		if picked != "" && typedText(st, fd) != "" {
			out[fd.ID+sufText] = c.cat.T(loc, "slack.modal.free_text_both", nil)
		}
	}
	return out
}

// typedText is what was typed in a free-text choice's box.
func typedText(st *slack.ViewState, fd *dialogs.Field) string {
	if st == nil {
		return ""
	}
	return strings.TrimSpace(st.Values[fd.ID+sufText][actValue].Value)
}

func (c *Channel) placeholder(loc string, fd *dialogs.Field) string {
	if c.cat.HasIn(loc, fd.Key("example")) {
		return c.cat.T(loc, fd.Key("example"), nil)
	}
	if fd.Type == dialogs.TypeDateTime {
		return c.cat.T(loc, "slack.modal.when", nil)
	}
	if fd.Type == dialogs.TypeContact {
		return c.cat.T(loc, "slack.modal.contact", nil)
	}
	return ""
}

// submitted reads a submitted modal's state into raw answers for
// ValidateAll, and the files of its attachments field.
func submitted(f *dialogs.Form, st *slack.ViewState) (map[string]string, []slack.File) {
	answers := map[string]string{}
	var files []slack.File
	if st == nil {
		return answers, nil
	}
	get := func(block, action string) slack.BlockAction {
		return st.Values[block][action]
	}
	for _, fd := range f.Fields {
		switch fd.Type {
		case dialogs.TypeChoice, dialogs.TypeSeverity:
			answers[fd.ID] = get(fd.ID, actValue).SelectedOption.Value
			if answers[fd.ID] == "" && hasFreeText(fd) {
				// Checked as the chat dialog checks a typed answer.
				answers[fd.ID] = typedText(st, fd)
			}
		case dialogs.TypeTree:
			v := get(fd.ID+sufChild, actValue).SelectedOption.Value
			if v == "" {
				v = get(fd.ID, actRoot).SelectedOption.Value
			}
			answers[fd.ID] = v
			answers[fd.ID+"_other"] = get(fd.ID+sufOther, actValue).Value
		case dialogs.TypeAttachments:
			files = append(files, get(fd.ID, actValue).Files...)
		default:
			answers[fd.ID] = get(fd.ID, actValue).Value
		}
	}
	return answers, files
}

// openModal opens the intake modal of form for a user (trigger from a
// slash command, a shortcut or a button).
func (c *Channel) openModal(ctx context.Context, triggerID, user, form string) {
	p, err := c.reporter(ctx, user)
	loc := c.cfg.TriageLocale
	if err == nil {
		loc = botkit.Locale(p)
	}
	f, ok := c.engine.Form(form)
	if !ok {
		c.dm(ctx, user, c.cat.T(loc, "slack.form.unknown", map[string]any{"Form": form}))
		return
	}
	v := c.modal(f, loc, modalMeta{Form: f.ID, Roots: map[string]string{}})
	if _, err := c.api.OpenViewContext(ctx, triggerID, v); err != nil {
		c.log.Warn("slack: views.open failed", "user", user, "err", err)
	}
}

// onRootPicked adds the child select under a tree field whose root was
// just chosen; Slack keeps what was typed in the other blocks.
func (c *Channel) onRootPicked(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	meta := parseMeta(cb.View.PrivateMetadata)
	f, ok := c.engine.Form(meta.Form)
	if !ok {
		return
	}
	meta.Roots[a.BlockID] = a.SelectedOption.Value
	loc := c.cfg.TriageLocale
	if p, err := c.reporter(ctx, cb.User.ID); err == nil {
		loc = botkit.Locale(p)
	}
	v := c.modal(f, loc, meta)
	if _, err := c.api.UpdateViewContext(ctx, v, "", cb.View.Hash, cb.View.ID); err != nil {
		c.log.Warn("slack: views.update failed", "user", cb.User.ID, "err", err)
	}
}
