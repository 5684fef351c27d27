package botkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/size"
)

// DefaultMaxFileSize is the largest attachment accepted unless configured:
// 20 MB, what the embedded forms allow and the most a Telegram bot can
// download.
const DefaultMaxFileSize = 20 << 20

// DefaultContentTypes are the attachment types accepted unless configured:
// screenshots and common documents.
var DefaultContentTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp",
	"application/pdf", "text/plain",
}

// Files stores attachments on disk under their SHA-256 (DESIGN §10), with
// size and type limits. The same bytes are stored once.
type Files struct {
	dir     string
	maxSize int64
	types   []string
}

// NewFiles returns a store rooted at dir (DESKBOT_DATA/attachments).
// maxSize ≤ 0 and nil types take the defaults.
func NewFiles(dir string, maxSize int64, types []string) (*Files, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	if types == nil {
		types = DefaultContentTypes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	return &Files{dir: dir, maxSize: maxSize, types: types}, nil
}

// MaxSize is the largest accepted file in bytes.
func (f *Files) MaxSize() int64 { return f.maxSize }

// FileError says why a file was refused; Code is a catalog key suffix
// ("too_big", "type") that channels turn into a message.
type FileError struct {
	Code        string
	Size        int64
	Max         int64
	ContentType string
}

func (e *FileError) Error() string {
	if e.Code == "too_big" {
		return fmt.Sprintf("file of %d bytes is over the limit of %d", e.Size, e.Max)
	}
	return fmt.Sprintf("file type %q is not accepted", e.ContentType)
}

// Unwrap makes a refused file an EINVALID error about the field "file",
// for callers that map domain codes (the JSON API); channels read the
// FileError itself.
func (e *FileError) Unwrap() error {
	if e.Code == "too_big" {
		return backend.Invalid("file refused", "file", fmt.Sprintf("must be at most %d bytes", e.Max),
			backend.Problem{Key: "file_too_big", Args: map[string]any{"Max": size.Text(e.Max)}})
	}
	return backend.Invalid("file refused", "file", fmt.Sprintf("type %s is not accepted", e.ContentType),
		backend.Problem{Key: "file_type", Args: map[string]any{"Type": e.ContentType}})
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Put stores r (at most MaxSize bytes), sniffing the content type from
// the bytes rather than trusting the client, and returns the metadata.
// A *FileError says why a file was refused.
func (f *Files) Put(r io.Reader, name string) (a backend.Attachment, err error) {
	tmp, err := os.CreateTemp(f.dir, ".upload-*")
	if err != nil {
		return a, fmt.Errorf("attachments: %w", err)
	}
	stored := false
	defer func() {
		if !stored {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h, head := sha256.New(), &headBuf{}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), io.LimitReader(r, f.maxSize+1))
	if err != nil {
		return a, fmt.Errorf("attachments: read upload: %w", err)
	}
	if n > f.maxSize {
		return a, &FileError{Code: "too_big", Size: n, Max: f.maxSize}
	}
	if n == 0 {
		return a, &FileError{Code: "type", ContentType: "empty"}
	}
	ct, _, _ := strings.Cut(http.DetectContentType(head.b), ";")
	if !slices.Contains(f.types, ct) {
		return a, &FileError{Code: "type", ContentType: ct}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	a = backend.Attachment{Name: backend.CleanFileName(name, ct), ContentType: ct, Size: n, SHA256: sum}
	if err := tmp.Close(); err != nil {
		return a, fmt.Errorf("attachments: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path(sum)); err != nil {
		return a, fmt.Errorf("attachments: %w", err)
	}
	stored = true
	return a, nil
}

// headBuf keeps the first 512 bytes written to it, all that content
// sniffing reads, so the stored file is not read back.
type headBuf struct{ b []byte }

func (h *headBuf) Write(p []byte) (int, error) {
	if k := 512 - len(h.b); k > 0 {
		h.b = append(h.b, p[:min(k, len(p))]...)
	}
	return len(p), nil
}

// Stat returns the metadata of a stored file, read from the file itself
// (its size, and its type sniffed from its first bytes as Put sniffed
// it); its name is a generic one ("file.png"): a name belongs to an
// upload, not to the bytes (StatNamed). No metadata is stored beside the
// file: on a slow disk every file created costs more than reading one.
// ENOTFOUND for an unknown hash.
func (f *Files) Stat(sum string) (backend.Attachment, error) {
	return f.StatNamed(sum, "")
}

// StatNamed is Stat with the file named name (the upload's), when set.
func (f *Files) StatNamed(sum, name string) (backend.Attachment, error) {
	var a backend.Attachment
	r, err := f.Open(sum)
	if err != nil {
		return a, err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return a, fmt.Errorf("attachments: %w", err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return a, fmt.Errorf("attachments: %w", err)
	}
	ct, _, _ := strings.Cut(http.DetectContentType(head[:n]), ";")
	return backend.Attachment{Name: backend.CleanFileName(name, ct), ContentType: ct, Size: fi.Size(), SHA256: sum}, nil
}

// Open opens a stored file's bytes. ENOTFOUND for an unknown hash.
func (f *Files) Open(sum string) (*os.File, error) {
	if !hashRE.MatchString(sum) {
		return nil, backend.Errorf(backend.ENOTFOUND, "attachment %q not found", sum)
	}
	file, err := os.Open(f.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backend.Errorf(backend.ENOTFOUND, "attachment %s not found", sum)
	}
	return file, err
}

func (f *Files) path(sum string) string { return filepath.Join(f.dir, sum) }

// Grant records that person uploaded the file sum under name: the JSON
// API lets a ticket name only files its caller uploaded, so knowing a
// file's hash is not enough to attach it, and read it; and a ticket that
// names no file name gets its uploader's, not the last uploader's of the
// same bytes.
func (f *Files) Grant(sum string, personID int64, name string) error {
	if !hashRE.MatchString(sum) {
		return backend.Errorf(backend.ENOTFOUND, "attachment %q not found", sum)
	}
	if err := os.WriteFile(f.grantPath(sum, personID), []byte(name), 0o600); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	return nil
}

// Granted reports whether person uploaded the file sum (Grant), and the
// name they gave it.
func (f *Files) Granted(sum string, personID int64) (name string, ok bool, err error) {
	if !hashRE.MatchString(sum) {
		return "", false, nil
	}
	b, err := os.ReadFile(f.grantPath(sum, personID))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("attachments: %w", err)
	}
	return string(b), true, nil
}

func (f *Files) grantPath(sum string, personID int64) string {
	return f.path(sum) + ".by-" + strconv.FormatInt(personID, 10)
}

// sweepBatch is how many hashes Sweep asks the store about at once.
const sweepBatch = 500

// Sweep removes the stored files that no ticket names and that were last
// uploaded before `before` — the screenshots of dialogs that were
// cancelled or abandoned — with their grants, and upload leftovers (a
// crash mid-upload) older than that. A file uploaded again is new again
// (Put replaces it), so before should leave room for the longest dialog:
// its files are named by no ticket until it is filed. inUse is
// backend.Store.AttachmentsInUse. Returns how many files it removed.
func (f *Files) Sweep(ctx context.Context, before time.Time, inUse func(context.Context, []string) (map[string]bool, error)) (int, error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return 0, fmt.Errorf("attachments: sweep: %w", err)
	}
	old := func(name string) bool {
		fi, err := os.Stat(filepath.Join(f.dir, name))
		return err == nil && fi.ModTime().Before(before)
	}
	var sums []string
	grants := map[string][]string{} // hash → its grant files
	removed := 0
	for _, e := range entries {
		name := e.Name()
		switch {
		case hashRE.MatchString(name):
			if old(name) {
				sums = append(sums, name)
			}
		case strings.HasPrefix(name, ".upload-"):
			if old(name) && os.Remove(filepath.Join(f.dir, name)) == nil {
				removed++
			}
		default:
			if sum, _, ok := strings.Cut(name, ".by-"); ok && hashRE.MatchString(sum) {
				grants[sum] = append(grants[sum], name)
			}
		}
	}
	for batch := range slices.Chunk(sums, sweepBatch) {
		used, err := inUse(ctx, batch)
		if err != nil {
			return removed, fmt.Errorf("attachments: sweep: %w", err)
		}
		for _, sum := range batch {
			// Checked again: uploaded anew since the listing, it is kept.
			if used[sum] || !old(sum) {
				continue
			}
			if err := os.Remove(f.path(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, fmt.Errorf("attachments: sweep: %w", err)
			}
			removed++
			for _, g := range grants[sum] {
				os.Remove(filepath.Join(f.dir, g))
			}
			delete(grants, sum)
		}
	}
	// Grants of a file that is gone (removed by hand, or a sweep stopped
	// between the file and its grants).
	for sum, gs := range grants {
		if _, err := os.Stat(f.path(sum)); errors.Is(err, fs.ErrNotExist) {
			for _, g := range gs {
				if old(g) {
					os.Remove(filepath.Join(f.dir, g))
				}
			}
		}
	}
	return removed, nil
}

// MaxFilesSent bounds the attachments one press of a card's files button
// sends.
const MaxFilesSent = 10

// SendFiles sends t's first MaxFilesSent attachments, each with send,
// which gets its position (from 1) and the file. One that fails is logged
// and the rest go on. It returns how many were sent, or the last error
// when none was.
func SendFiles(t *backend.Ticket, log *slog.Logger, send func(i int, a backend.Attachment) error) (int, error) {
	sent := 0
	var last error
	for i, a := range t.Attachments[:min(len(t.Attachments), MaxFilesSent)] {
		if err := send(i+1, a); err != nil {
			log.Warn("cannot send an attachment", "ticket", t.Number, "file", a.Name, "err", err)
			last = err
			continue
		}
		sent++
	}
	if sent == 0 && last != nil {
		return 0, last
	}
	return sent, nil
}
