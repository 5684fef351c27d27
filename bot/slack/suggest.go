package slack

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/dialogs"
)

// Own open tickets, knowledge-base answers and open incidents for a
// submitted modal: after
// a complete submission the channel asks the dialog's Suggester, as the
// chat dialog does; if it has suggestions the modal turns into a list of
// them (response_action update) while the submission is held in the
// session store (dialogs.Engine.Hold). Adding it to the reporter's own
// ticket, joining an incident or "this solved it" ends it without a
// ticket; the submit button ("file it
// anyway") files exactly the held submission, once.

const (
	cbSuggest     = "suggest" // the suggestions shown for a submitted modal
	cbSuggestDone = "suggest_done"
	prefixSuggest = "msug" // actions msug:join, msug:add and msug:solved, value the suggestion id
)

// heldKey is where a modal's submission is held: per reporter and view,
// apart from their DM dialog's session.
func heldKey(user, viewID string) dialogs.SessionKey {
	return dialogs.SessionKey{Platform: Platform + "-modal", ChatID: user, UserID: viewID}
}

// offerSuggestions asks the Suggester about a complete submission; with
// suggestions it holds the submission (its files downloaded) and answers
// with the suggestions view. nil: nothing to suggest, file it now.
func (c *Channel) offerSuggestions(ctx context.Context, f *dialogs.Form, user, viewID string, d dialogs.Draft, files []slack.File) any {
	if f.SuggestAfter == "" || viewID == "" {
		return nil
	}
	sugs := c.engine.Suggest(ctx, c.sessionKey(user), d)
	if len(files) > 0 {
		// A comment cannot carry the modal's files: a submission with
		// files is filed, or joins an incident, but is not added to a
		// ticket, which would lose them.
		sugs = slices.DeleteFunc(sugs, func(s dialogs.Suggestion) bool { return s.Kind == dialogs.SuggestionTicket })
	}
	if len(sugs) == 0 {
		return nil
	}
	d, p := c.fetchFiles(ctx, d, files)
	if p.text != "" {
		block := p.block
		if block == "" {
			block = firstInput(f)
		}
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: clip(p.text, 1000)})
	}
	if err := c.engine.Hold(ctx, heldKey(user, viewID), dialogs.Held{Draft: d, Suggestions: sugs}); err != nil {
		c.log.Warn("slack: cannot hold a submission for its suggestions; filing it", "user", user, "err", err)
		return nil
	}
	return updateWith(c.suggestView(d.Locale, sugs, ""))
}

// submitHeld files the held submission ("file it anyway"). A second
// submit files nothing more: the draft id makes filing idempotent, and a
// filed submission is released.
func (c *Channel) submitHeld(ctx context.Context, cb slack.InteractionCallback) any {
	user, key := cb.User.ID, heldKey(cb.User.ID, cb.View.ID)
	h, _, err := c.engine.Held(ctx, key)
	if err != nil {
		if !errors.Is(err, dialogs.ErrNoSession) {
			c.log.Warn("slack: cannot read a held submission", "user", user, "err", err)
			return updateWith(c.suggestView(c.cfg.TriageLocale, nil, c.errorText(c.cfg.TriageLocale, err)))
		}
		c.log.Info("slack: a held submission is gone (filed or expired)", "user", user, "view", cb.View.ID)
		return slack.NewClearViewSubmissionResponse()
	}
	return c.fileWaiting(ctx, user, func(ctx context.Context) modalProblem {
		p := c.fileDraft(ctx, user, h.Draft)
		if p.text == "" {
			c.release(ctx, key, 0)
		}
		return p
	}, func(p modalProblem) any {
		return updateWith(c.suggestView(h.Draft.Locale, h.Suggestions, p.text))
	})
}

// onSuggestionChoice ends a held submission without a ticket: adding it
// to the reporter's own ticket or joining an incident (through the
// Suggester's Adder and Joiner, as the dialog does) or "this solved it". The modal then says so. A second press finds nothing held
// and does nothing.
func (c *Channel) onSuggestionChoice(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user, key := cb.User.ID, heldKey(cb.User.ID, cb.View.ID)
	h, version, err := c.engine.Held(ctx, key)
	if err != nil {
		c.log.Debug("slack: suggestion chosen for nothing held", "user", user, "err", err)
		return
	}
	sug := findSuggestion(h.Suggestions, a.Value)
	if sug == nil {
		return
	}
	loc := h.Draft.Locale
	var text string
	switch action := strings.TrimPrefix(a.ActionID, prefixSuggest+":"); {
	case action == "join" && sug.Kind == dialogs.SuggestionIncident:
		if err := c.engine.JoinIncident(ctx, c.sessionKey(user), sug.ID, h.Draft); err != nil {
			c.log.Error("slack: joining an incident failed", "user", user, "incident", sug.ID, "err", err)
			c.updateView(ctx, cb.View.ID, c.suggestView(loc, h.Suggestions, c.cat.T(loc, "dialog.suggest.join_failed", nil)))
			return
		}
		text = c.cat.T(loc, "dialog.suggest.joined", map[string]any{"ID": sug.ID, "Title": sug.Title})
	case action == "add" && sug.Kind == dialogs.SuggestionTicket:
		if err := c.engine.AddToTicket(ctx, c.sessionKey(user), sug.ID, h.Draft); err != nil {
			c.log.Error("slack: adding to a ticket failed", "user", user, "ticket", sug.ID, "err", err)
			c.updateView(ctx, cb.View.ID, c.suggestView(loc, h.Suggestions, c.cat.T(loc, "dialog.suggest.add_failed", map[string]any{"ID": sug.ID})))
			return
		}
		text = c.cat.T(loc, "dialog.suggest.added", map[string]any{"ID": sug.ID})
	case action == "solved":
		text = c.cat.T(loc, "dialog.suggest.solved", nil)
	default:
		return
	}
	if !c.release(ctx, key, version) {
		return // filed or chosen meanwhile
	}
	c.log.Info("slack: modal ended without a ticket", "user", user, "suggestion", sug.ID, "kind", sug.Kind)
	c.updateView(ctx, cb.View.ID, c.doneView(loc, text))
}

// release forgets a held submission; false if someone else did first.
func (c *Channel) release(ctx context.Context, key dialogs.SessionKey, version int64) bool {
	if err := c.engine.Release(ctx, key, version); err != nil {
		c.log.Debug("slack: held submission released already", "view", key.UserID, "err", err)
		return false
	}
	return true
}

// updateWith answers a submission by showing v in the modal's place.
func updateWith(v slack.ModalViewRequest) any { return slack.NewUpdateViewSubmissionResponse(&v) }

func findSuggestion(sugs []dialogs.Suggestion, id string) *dialogs.Suggestion {
	for i := range sugs {
		if sugs[i].ID == id {
			return &sugs[i]
		}
	}
	return nil
}

// suggestView lists the suggestions with their buttons (join an incident,
// "this solved it"); its submit button files the ticket anyway. problem,
// if set, is shown on top.
func (c *Channel) suggestView(loc string, sugs []dialogs.Suggestion, problem string) slack.ModalViewRequest {
	T := func(key string, data map[string]any) string { return c.cat.T(loc, key, data) }
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(T("dialog.suggest.title", nil)), nil, nil)}
	if problem != "" {
		blocks = append(blocks, slack.NewContextBlock("problem", mrkdwn("⚠️ "+problem)))
	}
	for _, s := range sugs {
		text := T("dialog.suggest.kb", map[string]any{"ID": s.ID, "Title": s.Title})
		btn := slack.NewButtonBlockElement(prefixSuggest+":solved", s.ID, plainN(T("dialog.btn.solved", nil), 75))
		switch s.Kind {
		case dialogs.SuggestionIncident:
			text = T("dialog.suggest.incident", map[string]any{"ID": s.ID, "Title": s.Title, "Count": s.Count})
			btn = slack.NewButtonBlockElement(prefixSuggest+":join", s.ID, plainN(T("dialog.btn.join", map[string]any{"ID": s.ID}), 75))
		case dialogs.SuggestionTicket:
			text = T("dialog.suggest.ticket", map[string]any{"ID": s.ID, "Title": s.Title, "Status": T("status."+s.Status, nil)})
			btn = slack.NewButtonBlockElement(prefixSuggest+":add", s.ID, plainN(T("dialog.btn.add", map[string]any{"ID": s.ID}), 75))
		}
		if s.Body != "" {
			text += "\n" + s.Body
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, slack.NewAccessory(btn), slack.SectionBlockOptionBlockID("sug:"+s.ID)))
	}
	blocks = append(blocks, slack.NewContextBlock("footer", mrkdwn(T("slack.modal.suggest_footer", nil))))
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: cbSuggest,
		Title:      plainN(T("slack.modal.suggest_title", nil), 24),
		Submit:     plainN(T("slack.modal.file_anyway", nil), 24),
		Close:      plainN(T("slack.modal.close", nil), 24),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

// doneView is the modal after a suggestion ended the submission.
func (c *Channel) doneView(loc, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: cbSuggestDone,
		Title:      plainN(c.cat.T(loc, "slack.modal.suggest_title", nil), 24),
		Close:      plainN(c.cat.T(loc, "slack.modal.done", nil), 24),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}},
	}
}

func (c *Channel) updateView(ctx context.Context, viewID string, v slack.ModalViewRequest) {
	if _, err := c.api.UpdateViewContext(ctx, v, "", "", viewID); err != nil {
		c.log.Warn("slack: views.update failed", "view", viewID, "err", err)
	}
}
