package botkit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/deskbot/deskbot/backend"
)

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFiles(dir, 1024, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		a, err := f.Put(bytes.NewReader(pngBytes), "../../etc/截图.png")
		if err != nil {
			t.Fatal(err)
		}
		if a.ContentType != "image/png" || a.Size != int64(len(pngBytes)) || len(a.SHA256) != 64 || a.Name != "截图.png" {
			t.Fatalf("attachment = %+v", a)
		}
		again, err := f.Put(bytes.NewReader(pngBytes), "again.png")
		if err != nil || again.SHA256 != a.SHA256 {
			t.Fatalf("same bytes stored under another hash: %v", err)
		}
		st, err := f.Stat(a.SHA256)
		if err != nil || st.Size != a.Size || st.ContentType != "image/png" || st.Name != "file.png" {
			t.Fatalf("stat: %+v %v", st, err)
		}
		if st, err := f.StatNamed(a.SHA256, "../截图.png"); err != nil || st.Name != "截图.png" || st.SHA256 != a.SHA256 {
			t.Fatalf("stat named: %+v %v", st, err)
		}
		r, err := f.Open(a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, pngBytes) {
			t.Fatal("stored bytes differ")
		}
		// Bytes that arrive one at a time are sniffed all the same.
		slow, err := f.Put(iotest.OneByteReader(bytes.NewReader(pngBytes)), "slow.png")
		if err != nil || slow.ContentType != "image/png" || slow.SHA256 != a.SHA256 {
			t.Fatalf("one byte at a time: %+v %v", slow, err)
		}
	})
	t.Run("ErrTooBig", func(t *testing.T) {
		_, err := f.Put(bytes.NewReader(append(pngBytes, make([]byte, 2000)...)), "big.png")
		var fe *FileError
		if !errors.As(err, &fe) || fe.Code != "too_big" || fe.Max != 1024 {
			t.Fatalf("err = %v", err)
		}
		// To the JSON API a refused file is a bad field "file".
		if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorFields(err)["file"] == "" {
			t.Fatalf("code %q fields %v, want invalid naming file", backend.ErrorCode(err), backend.ErrorFields(err))
		}
	})
	t.Run("ErrType", func(t *testing.T) {
		_, err := f.Put(strings.NewReader("MZ\x90\x00 a windows executable"), "shot.png")
		var fe *FileError
		if !errors.As(err, &fe) || fe.Code != "type" {
			t.Fatalf("a disguised executable was accepted: %v", err)
		}
		_, err = f.Put(strings.NewReader(""), "empty.png")
		if !errors.As(err, &fe) {
			t.Fatalf("empty file accepted: %v", err)
		}
	})
	t.Run("NoLeftovers", func(t *testing.T) {
		// Refused and stored uploads alike leave nothing but the file
		// behind (no metadata beside it: Stat reads the file).
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) != 1 || !hashRE.MatchString(names[0]) {
			t.Fatalf("attachments dir holds %q", names)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{strings.Repeat("0", 64), "../secret", ""} {
			if _, err := f.Stat(id); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("Stat(%q) = %v", id, err)
			}
			if _, err := f.Open(id); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("Open(%q) = %v", id, err)
			}
		}
	})
}
