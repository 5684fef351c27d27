package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// upload posts files as a multipart form with the CSRF token.
func (c *client) upload(path string, files map[string]string) (int, string) {
	c.f.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", c.csrf)
	for name, content := range files {
		w, _ := mw.CreateFormFile(name, name+".csv")
		io.WriteString(w, content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.f.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestCustomersPage: an admin imports the directory from CSV; staff look
// a caller up by phone (in the body, never the URL) and see the
// customer's orders and complaints; a bad row imports nothing and is
// named; reporters and info specialists may not look up; an oversized
// upload is refused.
func TestCustomersPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, adaPW := f.user("ada", backend.RoleAdmin)
	_, bobPW := f.user("bob", backend.RoleAssistant)
	_, ivyPW := f.user("ivy", backend.RoleInfoSpecialist)
	r1 := f.reporter("r1")
	cp, err := f.svc.CreateTicket(ctx, r1, backend.NewTicket{Prefix: "CP", Form: backend.FormComplaint, Summary: "这批螺丝刀杆上有铁锈，客户要求处理",
		OrderNumber: "20080505003", Contacts: backend.Contacts{Phone: "13912345678"}, Channel: "web",
		Extra: map[string]string{"customer": "华东五金", "requests": "上门处理", "urgency": "urgent"}})
	if err != nil {
		t.Fatal(err)
	}
	customers := "code,name,phones,owner\nC-1001,华东五金有限公司,139 1234 5678; 021-55556666,\n"
	orders := "number,customer,product,status,ordered_at,shipped_at,warranty_until\n20080505003,C-1001,螺丝刀 × 5000,已出货,2008-05-05,2008-05-20,2009-05-20\n"

	ada := f.client()
	ada.login("ada", adaPW)
	if _, body, _ := ada.do("GET", "/console/customers", nil, nil); !strings.Contains(body, `id="customer-import"`) {
		t.Fatalf("an admin's page has no import form:\n%s", body)
	}
	// One bad row: nothing is imported, and the row is named.
	code, body := ada.upload("/console/customers/import", map[string]string{"customers": customers + "C-1002,李先生,12345,\n"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "line 3.phones") {
		t.Fatalf("a bad row: %d\n%s", code, body)
	}
	if _, err := f.store.CustomerByPhone(ctx, "13912345678"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("a refused import wrote its good rows: %v", err)
	}
	code, body = ada.upload("/console/customers/import", map[string]string{"customers": customers, "orders": orders})
	if code != http.StatusOK || !strings.Contains(body, "web.customers.importedmap[Customers:1 Orders:1]") {
		t.Fatalf("import: %d\n%s", code, body)
	}
	code, body = ada.upload("/console/customers/import", map[string]string{"customers": customers + strings.Repeat("x", 17<<20)})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "web.err.too_large") {
		t.Fatalf("an oversized upload: %d %s", code, clip(body))
	}

	bob := f.client()
	bob.login("bob", bobPW)
	if _, body, _ := bob.do("GET", "/console/", nil, nil); !strings.Contains(body, `id="nav-customers"`) {
		t.Fatal("an assistant's console does not link the Customers page")
	}
	_, body, _ = bob.do("GET", "/console/customers", nil, nil)
	if strings.Contains(body, `id="customer-import"`) {
		t.Fatal("an assistant may import")
	}
	if code, _ := bob.upload("/console/customers/import", map[string]string{"customers": customers}); code != http.StatusForbidden {
		t.Fatalf("an assistant's import = %d, want 403", code)
	}
	code, body, _ = bob.do("POST", "/console/customers/lookup", url.Values{"csrf": {bob.csrf}, "phone": {"+86 139-1234-5678"}}, nil)
	for _, want := range []string{"华东五金有限公司", `data-order="20080505003"`, "螺丝刀 × 5000", "2008-05-20", "2009-05-20", cp.Number} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("lookup (%d) without %q:\n%s", code, want, body)
		}
	}
	code, body, _ = bob.do("POST", "/console/customers/lookup", url.Values{"csrf": {bob.csrf}, "phone": {"13600001111"}}, nil)
	if code != http.StatusOK || !strings.Contains(body, `id="customer-none"`) || strings.Contains(body, `id="customer-card"`) {
		t.Fatalf("an unknown number: %d\n%s", code, body)
	}

	ivy := f.client()
	ivy.login("ivy", ivyPW)
	if code, _, _ := ivy.do("POST", "/console/customers/lookup", url.Values{"csrf": {ivy.csrf}, "phone": {"13912345678"}}, nil); code != http.StatusForbidden {
		t.Fatalf("an info specialist's lookup = %d, want 403", code)
	}
}

func clip(s string) string { return s[:min(len(s), 300)] }
