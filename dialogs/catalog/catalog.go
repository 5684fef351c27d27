package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

// Supported locales. ZhCN is the default: a missing or unknown platform
// locale falls back to it.
const (
	ZhCN = "zh-CN"
	En   = "en"
)

//go:embed locales/*.yaml
var embedded embed.FS

// Catalog translates message ids into text. It is read-only after New and
// safe for concurrent use.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]map[string]struct{} // locale → message ids
	locales    []string
	static     sync.Map // locale + "\x00" + id → text, for texts without data
}

// Option configures New.
type Option func(*options)

type options struct {
	extra []fs.FS
}

// WithMessages adds the message files found at the top of fsys to the
// embedded ones. A file is named <anything>.<locale>.yaml (for example
// messages.zh-CN.yaml); a key it defines replaces the embedded text. This
// is how an administrator ships the texts of a form added in FORMS_DIR.
func WithMessages(fsys fs.FS) Option {
	return func(o *options) { o.extra = append(o.extra, fsys) }
}

// New loads the embedded catalogs, then any files given with WithMessages.
func New(opts ...Option) (*Catalog, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := &Catalog{
		bundle:     i18n.NewBundle(language.Make(ZhCN)),
		localizers: map[string]*i18n.Localizer{},
		ids:        map[string]map[string]struct{}{},
		locales:    []string{ZhCN, En},
	}
	c.bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	for _, loc := range c.locales {
		c.ids[loc] = map[string]struct{}{}
	}
	if err := c.loadDir(embedded, "locales"); err != nil {
		return nil, err
	}
	for _, fsys := range o.extra {
		if err := c.loadDir(fsys, "."); err != nil {
			return nil, err
		}
	}
	for _, loc := range c.locales {
		// The default locale comes last so a message missing in loc falls
		// back to it instead of to the id.
		c.localizers[loc] = i18n.NewLocalizer(c.bundle, loc, ZhCN)
	}
	return c, nil
}

func (c *Catalog) loadDir(fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("catalog: read %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		loc, ok := localeOfFile(name)
		if !ok {
			continue // not a message file (for example a form)
		}
		p := path.Join(dir, name)
		buf, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("catalog: read %s: %w", p, err)
		}
		var raw map[string]any
		if err := yaml.Unmarshal(buf, &raw); err != nil {
			return fmt.Errorf("catalog: %s: %w", p, err)
		}
		msgs := make([]*i18n.Message, 0, len(raw))
		for id, v := range raw {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("catalog: %s: key %q: want a string, got %T (keys are flat, e.g. dialog.cmd.back)", p, id, v)
			}
			msgs = append(msgs, &i18n.Message{ID: id, Other: s})
			c.ids[loc][id] = struct{}{}
		}
		if err := c.bundle.AddMessages(language.Make(loc), msgs...); err != nil {
			return fmt.Errorf("catalog: %s: %w", p, err)
		}
	}
	return nil
}

// localeOfFile returns the supported locale named by a file like
// active.zh-CN.yaml.
func localeOfFile(name string) (string, bool) {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return "", false
	}
	tag := base[i+1:]
	for _, loc := range []string{ZhCN, En} {
		if strings.EqualFold(tag, loc) {
			return loc, true
		}
	}
	return "", false
}

// T returns the text of message id in locale, with data filled into its
// {{.Field}} placeholders. An unsupported locale is normalised first; a
// message missing in locale falls back to zh-CN, and a message missing
// everywhere returns the id itself so a gap is visible, never blank.
func (c *Catalog) T(locale, id string, data map[string]any) string {
	l, ok := c.localizers[locale]
	if !ok {
		locale = Normalize(locale)
		l = c.localizers[locale]
	}
	if data != nil {
		return c.localize(l, id, data)
	}
	// Most texts (questions, button labels) take no data: they are
	// rendered once per locale. Only ids of the catalog are kept, so the
	// cache stays as small as the catalog whatever the callers pass.
	_, known := c.ids[locale][id]
	if _, fallback := c.ids[ZhCN][id]; !known && !fallback {
		return c.localize(l, id, nil)
	}
	key := locale + "\x00" + id
	if s, ok := c.static.Load(key); ok {
		return s.(string)
	}
	s := c.localize(l, id, nil)
	c.static.Store(key, s)
	return s
}

func (c *Catalog) localize(l *i18n.Localizer, id string, data map[string]any) string {
	lc := i18n.LocalizeConfig{MessageID: id}
	if data != nil {
		lc.TemplateData = data
	}
	s, err := l.Localize(&lc)
	if err != nil {
		var nf *i18n.MessageNotFoundErr
		if s == "" || !errors.As(err, &nf) {
			return id
		}
	}
	return s
}

// Has reports whether id has a text in every supported locale.
func (c *Catalog) Has(id string) bool {
	for _, loc := range c.locales {
		if _, ok := c.ids[loc][id]; !ok {
			return false
		}
	}
	return true
}

// HasIn reports whether id has a text in locale.
func (c *Catalog) HasIn(locale, id string) bool {
	_, ok := c.ids[locale][id]
	return ok
}

// IDs returns the message ids defined in locale, sorted.
func (c *Catalog) IDs(locale string) []string {
	ids := make([]string, 0, len(c.ids[locale]))
	for id := range c.ids[locale] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Missing returns, per locale, the ids that another locale defines but this
// one does not. An empty map means the catalogs are complete.
func (c *Catalog) Missing() map[string][]string {
	all := map[string]struct{}{}
	for _, ids := range c.ids {
		for id := range ids {
			all[id] = struct{}{}
		}
	}
	out := map[string][]string{}
	for _, loc := range c.locales {
		for id := range all {
			if _, ok := c.ids[loc][id]; !ok {
				out[loc] = append(out[loc], id)
			}
		}
		slices.Sort(out[loc])
	}
	for loc, ids := range out {
		if len(ids) == 0 {
			delete(out, loc)
		}
	}
	return out
}

// Locales returns the supported locales, the default first.
func (c *Catalog) Locales() []string { return slices.Clone(c.locales) }

// Supported reports whether locale is one of Locales exactly.
func (c *Catalog) Supported(locale string) bool { return slices.Contains(c.locales, locale) }

// Normalize maps a platform's locale ("zh-hans", "zh_CN", "zh-Hant-TW",
// "en-US", "en_GB") to a supported one ("zh-CN" or "en"). Anything else,
// including "", maps to the default, zh-CN.
func Normalize(platformLocale string) string {
	s := strings.TrimSpace(strings.ReplaceAll(platformLocale, "_", "-"))
	if s == "" {
		return ZhCN
	}
	tag, err := language.Parse(s)
	if err != nil {
		// Some platforms send bare, odd values; fall back to the prefix.
		s = strings.ToLower(s)
		switch {
		case strings.HasPrefix(s, "en"):
			return En
		default:
			return ZhCN
		}
	}
	base, _ := tag.Base()
	switch base.String() {
	case "en":
		return En
	default:
		return ZhCN
	}
}
