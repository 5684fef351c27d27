package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestKBAPI(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusCreated)
	number := r.body["number"].(string)

	t.Run("FromTicket", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/tickets/"+number+"/kb", f.assistant, nil)
		expect(t, r, http.StatusConflict) // not resolved yet
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant,
			map[string]any{"to": "resolved", "note": "在商家后台重新提交专区申请，审核通过后即显示。"}), http.StatusOK)
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/kb", f.reporter, nil), http.StatusForbidden)

		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/kb", f.assistant, nil)
		expect(t, r, http.StatusCreated)
		if r.body["id"] != "KB-1" || r.body["title"] != "放心商家不在专区显示，已刷新多次" || r.body["ticket"] != number ||
			r.body["body"] != "在商家后台重新提交专区申请，审核通过后即显示。" || len(r.body["category"].([]any)) != 2 {
			t.Fatalf("filed: %s", r.raw)
		}
		r = f.do(t, "POST", "/api/v1/tickets/"+number+"/kb", f.assistant, map[string]any{"title": "专区不显示"})
		expect(t, r, http.StatusConflict) // filed already
	})
	t.Run("CRUD", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/kb", f.assistant, map[string]any{"title": "会员中心登录失败", "body": "重置密码", "category": []string{"CRM问题"}})
		expect(t, r, http.StatusCreated)
		id := r.body["id"].(string)
		r = f.do(t, "POST", "/api/v1/kb", f.assistant, map[string]any{"title": "", "body": "x", "colour": "red"})
		expect(t, r, http.StatusBadRequest)
		if r.errField("title") == "" || r.errField("colour") == "" {
			t.Fatalf("bad fields: %s", r.raw)
		}
		expect(t, f.do(t, "POST", "/api/v1/kb", f.reporter, map[string]any{"title": "t", "body": "b"}), http.StatusForbidden)

		r = f.do(t, "PATCH", "/api/v1/kb/"+id, f.admin, map[string]any{"body": "重置密码后重新登录", "version": 1})
		expect(t, r, http.StatusOK)
		if r.body["title"] != "会员中心登录失败" || r.body["body"] != "重置密码后重新登录" || r.body["version"] != float64(2) {
			t.Fatalf("patched: %s", r.raw)
		}
		expect(t, f.do(t, "PATCH", "/api/v1/kb/"+id, f.admin, map[string]any{"body": "lost", "version": 1}), http.StatusConflict)
		r = f.do(t, "GET", "/api/v1/kb/"+id, f.assistant, nil)
		expect(t, r, http.StatusOK)
		if r.body["body"] != "重置密码后重新登录" {
			t.Fatalf("get: %s", r.raw)
		}
		expect(t, f.do(t, "GET", "/api/v1/kb/"+id, f.reporter, nil), http.StatusForbidden)

		expect(t, f.do(t, "POST", "/api/v1/kb", f.assistant, map[string]any{"title": "会员中心无法登录", "body": "清除缓存"}), http.StatusCreated)
		r = f.do(t, "GET", "/api/v1/kb?q=会员中心登录失败", f.assistant, nil)
		expect(t, r, http.StatusOK)
		if list := r.body["entries"].([]any); len(list) < 2 || list[0].(map[string]any)["id"] != id {
			t.Fatalf("search: %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/kb?q=会员中心登录失败&limit=1", f.assistant, nil)
		expect(t, r, http.StatusOK)
		if list := r.body["entries"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Fatalf("search with limit: %s", r.raw)
		}
		r = f.do(t, "GET", "/api/v1/kb?limit=2&cursor=4", f.assistant, nil)
		expect(t, r, http.StatusOK)
		if list := r.body["entries"].([]any); len(list) != 2 || list[1].(map[string]any)["id"] != id || r.body["next_cursor"] != "2" {
			t.Fatalf("list: %s", r.raw)
		}

		expect(t, f.do(t, "DELETE", "/api/v1/kb/"+id, f.assistant, nil), http.StatusNoContent)
		r = f.do(t, "GET", "/api/v1/kb/"+id, f.assistant, nil)
		expect(t, r, http.StatusNotFound)
		if r.errCode() != "not_found" {
			t.Fatalf("error: %s", r.raw)
		}
		expect(t, f.do(t, "GET", "/api/v1/kb/nonsense", f.assistant, nil), http.StatusNotFound)
	})
}

// TestKBAPIPartial: a PATCH changes only the fields it names, and filing
// a ticket's solution with some fields edited keeps the draft's others;
// a body is empty by what it holds, so a chunked empty body files the
// draft as an empty one does, and an empty PATCH is a clear 400.
func TestKBAPIPartial(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	r := f.do(t, "POST", "/api/v1/kb", f.assistant, map[string]any{"title": "会员中心登录失败", "body": "重置密码", "category": []string{"CRM问题"}})
	expect(t, r, http.StatusCreated)
	path := "/api/v1/kb/" + r.body["id"].(string)

	t.Run("PatchKeepsOthers", func(t *testing.T) {
		for _, tc := range []struct {
			body                  any
			title, text, category string
		}{
			{map[string]any{"title": "会员中心无法登录"}, "会员中心无法登录", "重置密码", "CRM问题"},
			{map[string]any{"body": "清除缓存后重新登录"}, "会员中心无法登录", "清除缓存后重新登录", "CRM问题"},
			{map[string]any{"category": []string{"产品线问题"}}, "会员中心无法登录", "清除缓存后重新登录", "产品线问题"},
			{`{"title": "会员中心登录失败", "body": null, "category": null}`, "会员中心登录失败", "清除缓存后重新登录", "产品线问题"},
		} {
			r := f.do(t, "PATCH", path, f.assistant, tc.body)
			expect(t, r, http.StatusOK)
			cat, _ := r.body["category"].([]any)
			if r.body["title"] != tc.title || r.body["body"] != tc.text || len(cat) != 1 || cat[0] != tc.category {
				t.Fatalf("PATCH %v: %s", tc.body, r.raw)
			}
		}
	})
	t.Run("ErrNothingToChange", func(t *testing.T) {
		for _, body := range []any{map[string]any{}, map[string]any{"version": 5}} {
			r := f.do(t, "PATCH", path, f.assistant, body)
			expect(t, r, http.StatusBadRequest)
			if r.errCode() != "invalid" || !strings.Contains(r.raw, "nothing to change") {
				t.Fatalf("PATCH %v: %s", body, r.raw)
			}
		}
		r := f.chunked(t, "PATCH", path, f.assistant, "")
		expect(t, r, http.StatusBadRequest)
		if r.errCode() != "invalid" || !strings.Contains(r.raw, "the body is empty") {
			t.Fatalf("chunked empty PATCH: %s", r.raw)
		}
		if r := f.do(t, "GET", path, f.assistant, nil); r.body["version"] != float64(5) {
			t.Fatalf("an empty PATCH changed the entry: %s", r.raw)
		}
	})

	resolved := func(t *testing.T) string {
		t.Helper()
		r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
		expect(t, r, http.StatusCreated)
		number := r.body["number"].(string)
		expect(t, f.do(t, "POST", "/api/v1/tickets/"+number+"/transitions", f.assistant,
			map[string]any{"to": "resolved", "note": "在商家后台重新提交专区申请，审核通过后即显示。"}), http.StatusOK)
		return number
	}
	t.Run("FromTicketChunkedEmpty", func(t *testing.T) {
		number := resolved(t)
		r := f.chunked(t, "POST", "/api/v1/tickets/"+number+"/kb", f.assistant, "")
		expect(t, r, http.StatusCreated)
		if r.body["title"] != "放心商家不在专区显示，已刷新多次" || r.body["body"] != "在商家后台重新提交专区申请，审核通过后即显示。" {
			t.Fatalf("filed: %s", r.raw)
		}
	})
	t.Run("FromTicketSomeFields", func(t *testing.T) {
		number := resolved(t)
		r := f.chunked(t, "POST", "/api/v1/tickets/"+number+"/kb", f.assistant, `{"title": "专区不显示"}`)
		expect(t, r, http.StatusCreated)
		if r.body["title"] != "专区不显示" || r.body["body"] != "在商家后台重新提交专区申请，审核通过后即显示。" || len(r.body["category"].([]any)) != 2 {
			t.Fatalf("filed: %s", r.raw)
		}
	})
}

// chunked sends a request whose body goes chunked (no Content-Length), as
// clients that stream do, and reads the answer.
func (f *apiFixture) chunked(t *testing.T, method, path, token, body string) response {
	t.Helper()
	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: deskbot\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", method, path, token)
	if body != "" {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(body), body)
	}
	b.WriteString("0\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestKBAPISearch: POST /api/v1/kb/search takes the text in its body,
// out of the URL (as POST /api/v1/tickets/search), and answers as GET
// /api/v1/kb does.
func TestKBAPISearch(t *testing.T) {
	f := newAPI(t, sqliteStore(t))
	var ids []string
	for _, title := range []string{"会员中心登录失败", "会员中心无法登录", "发票金额不对", "短信验证码收不到"} {
		r := f.do(t, "POST", "/api/v1/kb", f.assistant, map[string]any{"title": title, "body": "处理办法"})
		expect(t, r, http.StatusCreated)
		ids = append(ids, r.body["id"].(string))
	}
	entries := func(r response) []string {
		var out []string
		for _, e := range r.body["entries"].([]any) {
			out = append(out, e.(map[string]any)["id"].(string))
		}
		return out
	}
	r := f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"q": "会员中心登录失败"})
	expect(t, r, http.StatusOK)
	if got := entries(r); len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Fatalf("search: %s", r.raw)
	}
	r = f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"q": "会员中心登录失败", "limit": 1})
	expect(t, r, http.StatusOK)
	if got := entries(r); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("search with limit: %s", r.raw)
	}
	// Without q it pages as the list does.
	r = f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"limit": 3})
	expect(t, r, http.StatusOK)
	if got := entries(r); len(got) != 3 || got[0] != ids[3] || r.body["next_cursor"] != "2" {
		t.Fatalf("list page 1: %s", r.raw)
	}
	r = f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"limit": 3, "cursor": "2"})
	expect(t, r, http.StatusOK)
	if got := entries(r); len(got) != 1 || got[0] != ids[0] || r.body["next_cursor"] != nil {
		t.Fatalf("list page 2: %s", r.raw)
	}

	r = f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"q": "发票", "cursor": "2", "limit": 500})
	expect(t, r, http.StatusBadRequest)
	if r.errField("cursor") == "" || r.errField("limit") == "" {
		t.Fatalf("bad search: %s", r.raw)
	}
	r = f.do(t, "POST", "/api/v1/kb/search", f.assistant, map[string]any{"query": "发票"})
	expect(t, r, http.StatusBadRequest)
	if r.errField("query") != "unknown field" {
		t.Fatalf("unknown field: %s", r.raw)
	}
	expect(t, f.do(t, "POST", "/api/v1/kb/search", f.reporter, map[string]any{"q": "发票"}), http.StatusForbidden)
}
