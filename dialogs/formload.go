package dialogs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

//go:embed forms/*.yaml
var embeddedForms embed.FS

// FormSet is the set of forms an engine serves, by id.
type FormSet struct {
	forms map[string]*Form
}

// Get returns the form with id.
func (s *FormSet) Get(id string) (*Form, bool) {
	f, ok := s.forms[id]
	return f, ok
}

// IDs returns the form ids, sorted.
func (s *FormSet) IDs() []string {
	ids := make([]string, 0, len(s.forms))
	for id := range s.forms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// DefaultForms returns the embedded forms: feedback, suggestion, complaint.
func DefaultForms(cat *catalog.Catalog) (*FormSet, error) {
	return LoadForms(cat, "")
}

// LoadForms returns the embedded forms overridden by the *.yaml forms in
// dir (FORMS_DIR); a file in dir replaces the embedded form with the same
// id, a new id adds a form. Message files in dir (name.zh-CN.yaml,
// name.en.yaml) are skipped: give them to catalog.New with
// catalog.WithMessages. An empty dir means the embedded forms only.
//
// Every problem in every file is reported, each as file:line: reason.
func LoadForms(cat *catalog.Catalog, dir string) (*FormSet, error) {
	sub, err := fs.Sub(embeddedForms, "forms")
	if err != nil {
		return nil, err
	}
	fss := []fs.FS{sub}
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("dialogs: forms dir %q: not a readable directory", dir)
		}
		fss = append(fss, os.DirFS(dir))
	}
	return LoadFormsFS(cat, fss...)
}

// LoadFormsFS loads the forms at the top of each fsys in turn; a later form
// with the same id replaces an earlier one.
func LoadFormsFS(cat *catalog.Catalog, fss ...fs.FS) (*FormSet, error) {
	set := &FormSet{forms: map[string]*Form{}}
	var errs FormErrors
	for _, fsys := range fss {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return nil, fmt.Errorf("dialogs: read forms: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) || isMessageFile(name) {
				continue
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("dialogs: read form %s: %w", name, err)
			}
			f, err := ParseForm(cat, name, data)
			if err != nil {
				var fe FormErrors
				if errors.As(err, &fe) {
					errs = append(errs, fe...)
					continue
				}
				return nil, err
			}
			set.forms[f.ID] = f
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(set.forms) == 0 {
		return nil, errors.New("dialogs: no forms found")
	}
	return set, nil
}

func isMessageFile(name string) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return false
	}
	loc := strings.ToLower(base[i+1:])
	return loc == "zh-cn" || loc == "en"
}

// FormError is one problem in a form file.
type FormError struct {
	File   string
	Line   int
	Reason string
}

func (e FormError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// FormErrors are all the problems found in form files.
type FormErrors []FormError

func (es FormErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return "dialogs: invalid forms:\n" + strings.Join(lines, "\n")
}

// The YAML shape of a form. Unknown keys are rejected.
type formSpec struct {
	ID           string            `yaml:"id"`
	Prefix       string            `yaml:"prefix"`
	SuggestAfter string            `yaml:"suggest_after"`
	Fixed        map[string]string `yaml:"fixed"`
	Fields       []fieldSpec       `yaml:"fields"`
}

type fieldSpec struct {
	ID             string       `yaml:"id"`
	Type           string       `yaml:"type"`
	Slot           string       `yaml:"slot"`
	Required       bool         `yaml:"required"`
	RequiredIf     string       `yaml:"required_if"`
	MinLength      int          `yaml:"min_length"`
	MaxLength      int          `yaml:"max_length"`
	Pattern        string       `yaml:"pattern"`
	Options        []optionSpec `yaml:"options"`
	FreeText       bool         `yaml:"free_text"`
	MinFiles       int          `yaml:"min_files"`
	MaxFiles       int          `yaml:"max_files"`
	MaxSize        string       `yaml:"max_size"`
	ContentTypes   []string     `yaml:"content_types"`
	Kinds          []string     `yaml:"kinds"`
	MaxAge         string       `yaml:"max_age"`
	OtherMaxLength int          `yaml:"other_max_length"`
	Lookup         *lookupSpec  `yaml:"lookup"`
}

type lookupSpec struct {
	Name  string `yaml:"name"`
	Order string `yaml:"order"`
}

type optionSpec struct {
	ID       string       `yaml:"id"`
	Other    bool         `yaml:"other"`
	Children []optionSpec `yaml:"children"`
}

var (
	reFormID   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	reFieldID  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	reOptionID = regexp.MustCompile(`^[A-Za-z0-9_]{1,24}$`)
	rePrefix   = regexp.MustCompile(`^[A-Z]{1,6}$`)
)

// Which YAML parameters each type takes; any other non-zero one is an error.
var typeParams = map[FieldType][]string{
	TypeText:        {"min_length", "max_length"},
	TypeChoice:      {"options", "free_text", "max_length"},
	TypeTree:        {"options", "other_max_length"},
	TypeSeverity:    {"options"},
	TypeDateTime:    {"max_age"},
	TypeContact:     {"kinds", "lookup"},
	TypeAttachments: {"min_files", "max_files", "max_size", "content_types"},
	TypeID:          {"pattern"},
}

// ParseForm parses and checks one form file. name is used in messages.
func ParseForm(cat *catalog.Catalog, name string, data []byte) (*Form, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, FormErrors{{File: name, Line: yamlErrLine(err), Reason: cleanYAMLErr(err)}}
	}
	var spec formSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		return nil, FormErrors{{File: name, Line: yamlErrLine(err), Reason: cleanYAMLErr(err)}}
	}
	l := &formLoader{cat: cat, file: name, root: docMapping(&root)}
	f := l.build(&spec)
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return f, nil
}

var reYAMLLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

func cleanYAMLErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.ReplaceAll(s, "unmarshal errors:\n  ", "")
	s = reYAMLLine.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "in type dialogs.formSpec", "in a form")
	s = strings.ReplaceAll(s, "in type dialogs.fieldSpec", "in a field")
	s = strings.ReplaceAll(s, "in type dialogs.optionSpec", "in an option")
	return strings.TrimLeft(s, ": ")
}

func docMapping(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// child returns the value node of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// item returns the i-th element of sequence n, or nil.
func item(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

func line(n *yaml.Node, fallback int) int {
	if n == nil {
		return fallback
	}
	return n.Line
}

type formLoader struct {
	cat  *catalog.Catalog
	file string
	root *yaml.Node
	errs FormErrors
}

func (l *formLoader) errf(n *yaml.Node, format string, args ...any) {
	l.errs = append(l.errs, FormError{File: l.file, Line: line(n, 1), Reason: fmt.Sprintf(format, args...)})
}

func (l *formLoader) needKey(n *yaml.Node, key string) {
	if !l.cat.Has(key) {
		l.errf(n, "catalog key %q is missing (every locale needs it: %s)", key, strings.Join(l.cat.Locales(), ", "))
	}
}

func (l *formLoader) build(spec *formSpec) *Form {
	f := &Form{ID: spec.ID, Prefix: spec.Prefix, SuggestAfter: spec.SuggestAfter, File: l.file, Fixed: map[Slot]string{}}
	if !reFormID.MatchString(spec.ID) {
		l.errf(child(l.root, "id"), "form id %q must be lower-case letters, digits and _", spec.ID)
		return f
	}
	if !rePrefix.MatchString(spec.Prefix) {
		l.errf(child(l.root, "prefix"), "prefix %q must be 1–6 upper-case letters (it starts every ticket number)", spec.Prefix)
	}
	l.needKey(child(l.root, "id"), f.Key("title"))
	l.needKey(child(l.root, "id"), f.Key("intro"))
	fieldsNode := child(l.root, "fields")
	if len(spec.Fields) == 0 {
		l.errf(fieldsNode, "a form needs at least one field")
	}
	slotsUsed := map[Slot]string{}
	for i := range spec.Fields {
		fn := item(fieldsNode, i)
		fd := l.field(f, &spec.Fields[i], fn, i)
		if fd == nil {
			continue
		}
		if f.Field(fd.ID) != nil {
			l.errf(child(fn, "id"), "field id %q is used twice", fd.ID)
			continue
		}
		if fd.Slot != SlotNone {
			if other, ok := slotsUsed[fd.Slot]; ok {
				l.errf(child(fn, "slot"), "slot %q is already filled by field %q", fd.Slot, other)
			}
			slotsUsed[fd.Slot] = fd.ID
		}
		fd.Index = len(f.Fields)
		f.Fields = append(f.Fields, fd)
	}
	// Conditions are checked once every field is known, so an unknown field
	// and a field that comes later get different reasons.
	for i, fd := range f.Fields {
		if spec.Fields[i].RequiredIf == "" {
			continue
		}
		fn := item(fieldsNode, i)
		fd.RequiredIf = l.condition(f, fd, spec.Fields[i].RequiredIf, child(fn, "required_if"))
	}
	for i, fd := range f.Fields {
		if ls := spec.Fields[i].Lookup; ls != nil && fd.Type == TypeContact {
			fd.Lookup = l.lookup(f, fd, ls, child(item(fieldsNode, i), "lookup"))
		}
	}
	if f.SuggestAfter != "" && f.Field(f.SuggestAfter) == nil {
		l.errf(child(l.root, "suggest_after"), "suggest_after: unknown field %q", f.SuggestAfter)
	}
	fixedNode := child(l.root, "fixed")
	for slot, v := range spec.Fixed {
		s := Slot(slot)
		if _, ok := slotTypes[s]; !ok {
			l.errf(fixedNode, "fixed: unknown slot %q", slot)
			continue
		}
		if by, ok := slotsUsed[s]; ok {
			l.errf(fixedNode, "fixed: slot %q is also asked by field %q", slot, by)
		}
		if s == SlotSeverity && !slices.Contains(severityLevels, v) {
			l.errf(fixedNode, "fixed: severity %q is not one of %s", v, strings.Join(severityLevels, ", "))
		}
		f.Fixed[s] = v
	}
	return f
}

// lookup checks a contact field's lookup: it needs the phone, and fills
// fields asked after it (a text field with the name, an id field with an
// order number).
func (l *formLoader) lookup(f *Form, fd *Field, s *lookupSpec, n *yaml.Node) *Lookup {
	where := fmt.Sprintf("field %q: lookup", fd.ID)
	if !slices.Contains(fd.Kinds, ContactPhone) {
		l.errf(n, "%s needs a phone number: add phone to kinds", where)
	}
	if s.Name == "" && s.Order == "" {
		l.errf(n, "%s fills nothing: give name, order or both", where)
	}
	for _, x := range []struct {
		key, id string
		typ     FieldType
	}{{"name", s.Name, TypeText}, {"order", s.Order, TypeID}} {
		if x.id == "" {
			continue
		}
		target := f.Field(x.id)
		switch {
		case target == nil:
			l.errf(child(n, x.key), "%s.%s: unknown field %q", where, x.key, x.id)
		case target.Type != x.typ:
			l.errf(child(n, x.key), "%s.%s: field %q is a %s field, want %s", where, x.key, x.id, target.Type, x.typ)
		case target.Index <= fd.Index:
			l.errf(child(n, x.key), "%s.%s: field %q must come after %q", where, x.key, x.id, fd.ID)
		}
	}
	if s.Order != "" {
		l.needKey(n, "form."+f.ID+"."+s.Order+"_detail.label")
	}
	return &Lookup{Name: s.Name, Order: s.Order}
}

func (l *formLoader) field(f *Form, s *fieldSpec, n *yaml.Node, idx int) *Field {
	if !reFieldID.MatchString(s.ID) {
		l.errf(n, "field %d: id %q must be lower-case letters, digits and _", idx+1, s.ID)
		return nil
	}
	fd := &Field{
		ID: s.ID, Type: FieldType(s.Type), Slot: Slot(s.Slot), Required: s.Required,
		MinLength: s.MinLength, MaxLength: s.MaxLength, FreeText: s.FreeText,
		MinFiles: s.MinFiles, MaxFiles: s.MaxFiles, ContentTypes: s.ContentTypes,
		OtherMaxLength: s.OtherMaxLength,
		keys:           "form." + f.ID + "." + s.ID,
	}
	where := fmt.Sprintf("field %q", s.ID)
	if !slices.Contains(fieldTypes, fd.Type) {
		names := make([]string, len(fieldTypes))
		for i, t := range fieldTypes {
			names[i] = string(t)
		}
		l.errf(child(n, "type"), "%s: unknown field type %q (want one of %s)", where, s.Type, strings.Join(names, ", "))
		return nil
	}
	if fd.Slot != SlotNone {
		types, ok := slotTypes[fd.Slot]
		switch {
		case !ok:
			l.errf(child(n, "slot"), "%s: unknown slot %q", where, s.Slot)
		case !slices.Contains(types, fd.Type):
			l.errf(child(n, "slot"), "%s: a %s field cannot fill slot %q", where, fd.Type, s.Slot)
		}
	} else if fd.Type == TypeContact || fd.Type == TypeAttachments {
		l.errf(n, "%s: a %s field must fill slot %q", where, fd.Type, map[FieldType]Slot{TypeContact: SlotContacts, TypeAttachments: SlotAttachments}[fd.Type])
	}
	if s.Required && s.RequiredIf != "" {
		l.errf(child(n, "required_if"), "%s: required and required_if together make the condition pointless", where)
	}
	// Parameters that do not apply to the type are mistakes, not noise.
	allowed := typeParams[fd.Type]
	for _, p := range []struct {
		name string
		set  bool
	}{
		{"min_length", s.MinLength != 0}, {"max_length", s.MaxLength != 0}, {"pattern", s.Pattern != ""},
		{"options", len(s.Options) > 0}, {"free_text", s.FreeText}, {"min_files", s.MinFiles != 0},
		{"max_files", s.MaxFiles != 0}, {"max_size", s.MaxSize != ""}, {"content_types", len(s.ContentTypes) > 0},
		{"kinds", len(s.Kinds) > 0}, {"max_age", s.MaxAge != ""}, {"other_max_length", s.OtherMaxLength != 0},
		{"lookup", s.Lookup != nil},
	} {
		if p.set && !slices.Contains(allowed, p.name) {
			l.errf(child(n, p.name), "%s: %s does not apply to a %s field", where, p.name, fd.Type)
		}
	}

	l.needKey(n, fd.Key("label"))
	l.needKey(n, fd.Key("prompt"))

	switch fd.Type {
	case TypeText, TypeChoice:
		if fd.Type == TypeText && fd.MaxLength == 0 {
			fd.MaxLength = 2000
		}
		if fd.Type == TypeChoice && fd.MaxLength == 0 {
			fd.MaxLength = 200
		}
		if fd.MinLength < 0 || fd.MaxLength < 0 || fd.MinLength > fd.MaxLength {
			l.errf(child(n, "min_length"), "%s: need 0 ≤ min_length (%d) ≤ max_length (%d)", where, fd.MinLength, fd.MaxLength)
		}
	case TypeID:
		if s.Pattern == "" {
			l.errf(n, "%s: an id field needs a pattern", where)
		} else if re, err := regexp.Compile(s.Pattern); err != nil {
			l.errf(child(n, "pattern"), "%s: pattern: %v", where, err)
		} else {
			fd.Pattern = re
		}
		l.needKey(n, fd.Key("example"))
	case TypeDateTime:
		if s.MaxAge != "" {
			d, err := time.ParseDuration(s.MaxAge)
			if err != nil || d <= 0 {
				l.errf(child(n, "max_age"), "%s: max_age %q is not a positive duration like 720h", where, s.MaxAge)
			}
			fd.MaxAge = d
		}
	case TypeContact:
		if len(s.Kinds) == 0 {
			fd.Kinds = slices.Clone(allContactKinds)
		}
		for _, k := range s.Kinds {
			if !slices.Contains(allContactKinds, ContactKind(k)) {
				l.errf(child(n, "kinds"), "%s: unknown contact kind %q (want phone, email, qq)", where, k)
				continue
			}
			fd.Kinds = append(fd.Kinds, ContactKind(k))
		}
	case TypeAttachments:
		if fd.MaxFiles == 0 {
			fd.MaxFiles = 9
		}
		fd.MaxSize = 20 << 20
		if s.MaxSize != "" {
			size, err := parseSize(s.MaxSize)
			if err != nil {
				l.errf(child(n, "max_size"), "%s: max_size: %v", where, err)
			}
			fd.MaxSize = size
		}
		if fd.MinFiles < 0 || fd.MaxFiles < 1 || fd.MinFiles > fd.MaxFiles {
			l.errf(child(n, "max_files"), "%s: need 0 ≤ min_files (%d) ≤ max_files (%d), max_files ≥ 1", where, fd.MinFiles, fd.MaxFiles)
		}
		for _, ct := range fd.ContentTypes {
			if !strings.Contains(ct, "/") {
				l.errf(child(n, "content_types"), "%s: content type %q should look like image/png or image/*", where, ct)
			}
		}
	case TypeTree:
		if fd.OtherMaxLength == 0 {
			fd.OtherMaxLength = 200
		}
	}

	if fd.Type == TypeChoice || fd.Type == TypeTree || fd.Type == TypeSeverity {
		on := child(n, "options")
		if len(s.Options) == 0 {
			l.errf(n, "%s: a %s field needs options", where, fd.Type)
		}
		fd.Options = l.options(fd, s.Options, on, "", fd.Type == TypeTree)
	}
	if fd.Type == TypeSeverity {
		for i, o := range fd.Options {
			if !slices.Contains(severityLevels, o.ID) {
				l.errf(item(child(n, "options"), i), "%s: severity option %q is not one of %s", where, o.ID, strings.Join(severityLevels, ", "))
			}
			l.needKey(item(child(n, "options"), i), o.Key+".examples")
		}
	}
	return fd
}

func (l *formLoader) options(fd *Field, specs []optionSpec, seq *yaml.Node, parent string, tree bool) []*Option {
	seen := map[string]bool{}
	var out []*Option
	for i, s := range specs {
		on := item(seq, i)
		if !reOptionID.MatchString(s.ID) {
			l.errf(on, "field %q: option id %q must be letters, digits and _ (at most 24)", fd.ID, s.ID)
			continue
		}
		if seen[s.ID] {
			l.errf(on, "field %q: option %q is listed twice", fd.ID, s.ID)
			continue
		}
		seen[s.ID] = true
		p := s.ID
		if parent != "" {
			p = parent + "/" + s.ID
		}
		o := &Option{ID: s.ID, Other: s.Other, Path: p, Key: fd.Key("opt." + strings.ReplaceAll(p, "/", "."))}
		l.needKey(on, o.Key)
		if !tree && (len(s.Children) > 0 || s.Other) {
			l.errf(on, "field %q: children and other only apply to tree fields", fd.ID)
		}
		if s.Other && len(s.Children) > 0 {
			l.errf(on, "field %q: option %q has children, so it cannot be an \"other\" leaf", fd.ID, p)
		}
		if len(s.Children) > 0 {
			o.Children = l.options(fd, s.Children, child(on, "children"), p, tree)
		}
		out = append(out, o)
	}
	return out
}

var reCondition = regexp.MustCompile(`^\s*([a-z][a-z0-9_]*)\s*(not\s+in|in|==|!=)\s*(.+?)\s*$`)

// condition parses `field in [A, B]`, `field not in [A]`, `field == A` or
// `field != A` and checks that it can ever be decided when fd is asked.
func (l *formLoader) condition(f *Form, fd *Field, src string, n *yaml.Node) *Condition {
	m := reCondition.FindStringSubmatch(src)
	if m == nil {
		l.errf(n, "field %q: required_if %q: want `field in [A, B]`, `field not in [A]`, `field == A` or `field != A`", fd.ID, src)
		return nil
	}
	c := &Condition{Field: m[1], Source: src}
	op, rest := strings.Join(strings.Fields(m[2]), " "), m[3]
	switch op {
	case "in", "not in":
		if !strings.HasPrefix(rest, "[") || !strings.HasSuffix(rest, "]") {
			l.errf(n, "field %q: required_if %q: the values of %s go in [brackets]", fd.ID, src, op)
			return nil
		}
		for v := range strings.SplitSeq(rest[1:len(rest)-1], ",") {
			if v = strings.Trim(strings.TrimSpace(v), `"'`); v != "" {
				c.Values = append(c.Values, v)
			}
		}
		c.Negate = op == "not in"
	default:
		c.Values = []string{strings.Trim(rest, `"'`)}
		c.Negate = op == "!="
	}
	if len(c.Values) == 0 {
		l.errf(n, "field %q: required_if %q: no values, so it can never hold", fd.ID, src)
		return nil
	}
	ref := f.Field(c.Field)
	switch {
	case ref == nil:
		l.errf(n, "field %q: required_if refers to unknown field %q", fd.ID, c.Field)
		return nil
	case ref == fd:
		l.errf(n, "field %q: required_if refers to the field itself", fd.ID)
		return nil
	case ref.Index > fd.Index:
		l.errf(n, "field %q: required_if refers to %q, which is asked later, so it cannot be decided in time (move %q before %q)", fd.ID, c.Field, c.Field, fd.ID)
		return nil
	case ref.Type != TypeChoice && ref.Type != TypeSeverity:
		l.errf(n, "field %q: required_if refers to %q, a %s field; conditions work on choice and severity fields", fd.ID, c.Field, ref.Type)
		return nil
	}
	for _, v := range c.Values {
		if findOption(ref.Options, v) == nil {
			ids := make([]string, len(ref.Options))
			for i, o := range ref.Options {
				ids[i] = o.ID
			}
			l.errf(n, "field %q: required_if: %q is not an option of %q (options: %s), so the condition is impossible", fd.ID, v, c.Field, strings.Join(ids, ", "))
			return nil
		}
	}
	return c
}

var reSize = regexp.MustCompile(`^(\d+)\s*([KMG]i?B|B)?$`)

// parseSize reads "10MiB", "512KB", "2MB" or a byte count.
func parseSize(s string) (int64, error) {
	m := reSize.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size like 10MiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size", s)
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1000, "KiB": 1 << 10, "MB": 1000 * 1000, "MiB": 1 << 20, "GB": 1000 * 1000 * 1000, "GiB": 1 << 30}[m[2]]
	return n * mult, nil
}
