package slacktest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Value is one input's state in a submitted view: Text for text inputs,
// Selected for selects and radio buttons, Files for file inputs.
type Value struct {
	Text     string
	Selected string
	Files    []map[string]any
}

func (v Value) state() map[string]any {
	switch {
	case v.Selected != "":
		return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v.Selected}}
	case v.Files != nil:
		return map[string]any{"type": "file_input", "files": v.Files}
	}
	return map[string]any{"type": "plain_text_input", "value": v.Text}
}

// Values are a view's input states: block id → action id → value.
type Values map[string]map[string]Value

// Event delivers an Events API event with id; retry > 0 redelivers it.
func (s *Server) Event(id string, event map[string]any, retry int) error {
	_, err := s.Deliver("events_api", map[string]any{"type": "event_callback", "team_id": "T1", "event_id": id, "event": event}, retry)
	return err
}

// DMs sends direct messages from user to the bot (in a thread when thread
// is set) over Socket Mode back to back, as Slack does, each envelope
// before the app acknowledged the one before; then waits for every ack.
func (s *Server) DMs(tb testing.TB, user, thread string, texts ...string) {
	tb.Helper()
	var acks []<-chan json.RawMessage
	s.wsMu.Lock()
	for _, text := range texts {
		s.mu.Lock()
		ts := s.nextTS()
		s.seq++
		env := fmt.Sprintf("env-%d", s.seq)
		ch := make(chan json.RawMessage, 1)
		s.acks[env] = ch
		s.mu.Unlock()
		ev := map[string]any{"type": "message", "channel": dmOf(user), "channel_type": "im", "user": user, "text": text, "ts": ts}
		if thread != "" {
			ev["thread_ts"] = thread
		}
		payload, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev" + strings.ReplaceAll(ts, ".", ""), "event": ev})
		if s.ws == nil {
			s.wsMu.Unlock()
			tb.Fatal("slacktest: no Socket Mode connection")
		}
		if err := s.ws.WriteJSON(map[string]any{"envelope_id": env, "type": "events_api", "payload": json.RawMessage(payload)}); err != nil {
			s.wsMu.Unlock()
			tb.Fatal(err)
		}
		acks = append(acks, ch)
	}
	s.wsMu.Unlock()
	for i, ch := range acks {
		select {
		case <-ch:
		case <-time.After(3 * time.Second):
			tb.Fatalf("slacktest: message %d of %d not acknowledged within 3 s", i+1, len(texts))
		}
	}
}

// DM delivers a direct message from user to the bot (in a thread when
// thread is set) and returns its ts.
func (s *Server) DM(tb testing.TB, user, text, thread string, files ...map[string]any) string {
	tb.Helper()
	s.mu.Lock()
	ts := s.nextTS()
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": dmOf(user), "channel_type": "im", "user": user, "text": text, "ts": ts}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	if len(files) > 0 {
		ev["subtype"] = "file_share"
		ev["files"] = files
	}
	if err := s.Event("Ev"+strings.ReplaceAll(ts, ".", ""), ev, 0); err != nil {
		tb.Fatal(err)
	}
	return ts
}

// Post delivers a message written by user in a channel (in a thread when
// thread is set), sharing files (AddFile) if any.
func (s *Server) Post(tb testing.TB, user, channel, text, thread string, files ...map[string]any) string {
	tb.Helper()
	s.mu.Lock()
	ts := s.nextTS()
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": channel, "channel_type": "channel", "user": user, "text": text, "ts": ts}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	if len(files) > 0 {
		ev["subtype"] = "file_share"
		ev["files"] = files
	}
	if err := s.Event("Ev"+strings.ReplaceAll(ts, ".", ""), ev, 0); err != nil {
		tb.Fatal(err)
	}
	return ts
}

// Slash delivers a slash command and returns the trigger id it carried.
func (s *Server) Slash(tb testing.TB, user, channel, command, text string) string {
	tb.Helper()
	trig := s.Trigger(user)
	_, err := s.Deliver("slash_commands", map[string]any{"command": command, "text": text, "user_id": user,
		"channel_id": channel, "trigger_id": trig, "team_id": "T1", "response_url": "http://example.invalid/resp"}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return trig
}

// Shortcut delivers a global shortcut.
func (s *Server) Shortcut(tb testing.TB, user, callbackID string) {
	tb.Helper()
	_, err := s.Deliver("interactive", map[string]any{"type": "shortcut", "callback_id": callbackID,
		"trigger_id": s.Trigger(user), "user": map[string]any{"id": user}}, 0)
	if err != nil {
		tb.Fatal(err)
	}
}

// Press delivers a button press on a message (value: the button's
// value) or a select choice (selected set). As in Slack, a press on an
// ephemeral message carries no message, only a container marked
// is_ephemeral, and a response_url that replaces it (chat.update cannot).
func (s *Server) Press(tb testing.TB, user string, m Message, actionID, value, selected string) {
	tb.Helper()
	a := map[string]any{"action_id": actionID, "block_id": "b", "type": "button", "value": value}
	if selected != "" {
		a["type"] = "static_select"
		a["selected_option"] = map[string]any{"value": selected}
	}
	p := map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": s.Trigger(user),
		"channel": map[string]any{"id": m.Channel}, "container": map[string]any{"message_ts": m.TS, "channel_id": m.Channel},
		"message": message(m), "actions": []any{a},
		"response_url": s.srv.URL + "/response/" + m.Channel + "/" + m.TS}
	if m.Ephemeral != "" {
		delete(p, "message")
		p["container"] = map[string]any{"message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": true}
	}
	if _, err := s.Deliver("interactive", p, 0); err != nil {
		tb.Fatal(err)
	}
}

// message is m as a block_actions payload carries it: with its blocks.
func message(m Message) map[string]any {
	msg := map[string]any{"ts": m.TS, "text": m.Text, "thread_ts": m.ThreadTS}
	if len(m.Blocks) > 0 && json.Valid(m.Blocks) {
		msg["blocks"] = m.Blocks
	}
	return msg
}

// PickInView delivers a choice in a modal's dispatching input (the
// category root), as block_actions on the view.
func (s *Server) PickInView(tb testing.TB, user string, v *View, blockID, actionID, selected string) {
	tb.Helper()
	a := map[string]any{"action_id": actionID, "block_id": blockID, "type": "static_select", "selected_option": map[string]any{"value": selected}}
	p := map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": s.Trigger(user),
		"view": s.viewJSONCopy(v), "actions": []any{a}}
	if _, err := s.Deliver("interactive", p, 0); err != nil {
		tb.Fatal(err)
	}
}

func (s *Server) viewJSONCopy(v *View) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.views[v.ID]; cur != nil {
		return s.viewJSON(cur)
	}
	return s.viewJSON(v)
}

// Submit delivers a view_submission of the modal v with values and
// returns the app's response_action and errors. A modal that is not
// answered with errors is closed.
func (s *Server) Submit(tb testing.TB, user string, v *View, values Values) (action string, errs map[string]string) {
	tb.Helper()
	state := map[string]any{}
	for block, actions := range values {
		m := map[string]any{}
		for action, val := range actions {
			m[action] = val.state()
		}
		state[block] = m
	}
	view := s.viewJSONCopy(v)
	view["state"] = map[string]any{"values": state}
	raw, err := s.Deliver("interactive", map[string]any{"type": "view_submission", "user": map[string]any{"id": user}, "view": view}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var resp struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
		View   map[string]any    `json:"view"`
	}
	if len(strings.TrimSpace(string(raw))) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &resp); err != nil {
			tb.Fatalf("slacktest: submission answer %q: %v", raw, err)
		}
	}
	switch resp.Action {
	case "errors":
	case "update":
		s.replaceView(v.ID, resp.View)
	default:
		s.CloseView(v.ID)
	}
	return resp.Action, resp.Errors
}

// replaceView shows raw in place of the modal id (response_action update).
func (s *Server) replaceView(id string, raw map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.views[id]; v != nil {
		v.Raw = raw
		v.Hash = s.nextTS()
	}
}

// PressInView delivers a button press inside a modal (value: the button's
// value), as block_actions on the view.
func (s *Server) PressInView(tb testing.TB, user string, v *View, blockID, actionID, value string) {
	tb.Helper()
	a := map[string]any{"action_id": actionID, "block_id": blockID, "type": "button", "value": value}
	p := map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": s.Trigger(user),
		"view": s.viewJSONCopy(v), "actions": []any{a}}
	if _, err := s.Deliver("interactive", p, 0); err != nil {
		tb.Fatal(err)
	}
}

// HomeOpened delivers app_home_opened for user.
func (s *Server) HomeOpened(tb testing.TB, user string) {
	tb.Helper()
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("EvHome%d", s.seq)
	s.mu.Unlock()
	if err := s.Event(id, map[string]any{"type": "app_home_opened", "user": user, "channel": dmOf(user), "tab": "home"}, 0); err != nil {
		tb.Fatal(err)
	}
}

// elements calls f with every interactive element of a message's blocks
// (an actions block's elements, a section's accessory).
func (m Message) elements(f func(el map[string]any)) {
	var blocks []map[string]any
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		if el, ok := b["accessory"].(map[string]any); ok {
			f(el)
		}
		els, _ := b["elements"].([]any)
		for _, e := range els {
			if el, ok := e.(map[string]any); ok {
				f(el)
			}
		}
	}
}

// Buttons lists the (action id, value) of every button in a message's
// blocks, for finding what to Press.
func (m Message) Buttons() map[string]string {
	out := map[string]string{}
	m.elements(func(el map[string]any) {
		if id, ok := el["action_id"].(string); ok {
			v, _ := el["value"].(string)
			out[id] = v
		}
	})
	return out
}

// Options lists the option values of the select with actionID in a
// message's blocks, in order; nil if there is no such select.
func (m Message) Options(actionID string) []string {
	return m.options(actionID, func(op map[string]any) string { v, _ := op["value"].(string); return v })
}

// OptionLabels are the texts of the options of the select actionID, in
// order (nil without that select).
func (m Message) OptionLabels(actionID string) []string {
	return m.options(actionID, func(op map[string]any) string {
		t, _ := op["text"].(map[string]any)
		s, _ := t["text"].(string)
		return s
	})
}

func (m Message) options(actionID string, of func(map[string]any) string) []string {
	var out []string
	m.elements(func(el map[string]any) {
		if id, _ := el["action_id"].(string); id != actionID {
			return
		}
		opts, _ := el["options"].([]any)
		out = []string{}
		for _, o := range opts {
			op, _ := o.(map[string]any)
			out = append(out, of(op))
		}
	})
	return out
}
