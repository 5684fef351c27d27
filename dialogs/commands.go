package dialogs

import (
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Commands a reporter can give at any step, typed or as a button
// ("cmd:<name>", "cmd:edit:<n>", "cmd:lang:<locale>").
const (
	cmdBack     = "back"
	cmdSkip     = "skip"
	cmdCancel   = "cancel"
	cmdRestart  = "restart"
	cmdHelp     = "help"
	cmdKeep     = "keep"
	cmdDone     = "done"
	cmdClear    = "clear"
	cmdSubmit   = "submit"
	cmdConfirm  = "confirm"
	cmdYes      = "yes"
	cmdNo       = "no"
	cmdEdit     = "edit"
	cmdLang     = "lang"
	cmdContinue = "continue"
)

var commandNames = []string{cmdBack, cmdSkip, cmdCancel, cmdRestart, cmdHelp, cmdKeep, cmdDone, cmdClear, cmdSubmit, cmdConfirm, cmdYes, cmdNo, cmdEdit, cmdLang, cmdContinue}

type command struct {
	name string
	arg  string // edit: the number; lang: the locale
}

// commands recognises typed commands in every language: the words come from
// the catalog keys dialog.cmd.<name>.words ("back|返回|上一步"), so a reporter
// can type "返回" in an English dialog and "back" in a Chinese one.
type commands struct {
	words map[string]string // lower-case word → command
}

func newCommands(cat *catalog.Catalog) *commands {
	c := &commands{words: map[string]string{}}
	for _, name := range commandNames {
		for _, loc := range cat.Locales() {
			for w := range strings.SplitSeq(cat.T(loc, "dialog.cmd."+name+".words", nil), "|") {
				if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
					c.words[w] = name
				}
			}
		}
	}
	return c
}

// parse returns the command in a button id or a whole typed message.
func (c *commands) parse(in Input) (command, bool) {
	if rest, ok := cutPrefix(in.Button, "cmd:"); ok {
		name, arg, _ := strings.Cut(rest, ":")
		return command{name: name, arg: arg}, true
	}
	if in.Button != "" {
		return command{}, false
	}
	s := strings.ToLower(normalizeInput(in.Text))
	s = strings.TrimPrefix(s, "/")
	if s == "" || len(s) > 40 {
		return command{}, false
	}
	if name, ok := c.words[s]; ok && name != cmdEdit && name != cmdLang {
		return command{name: name}, true
	}
	// "edit 3", "修改3", "lang en", "语言 中文": a word, then an argument.
	for w, name := range c.words {
		if name != cmdEdit && name != cmdLang {
			continue
		}
		rest, ok := strings.CutPrefix(s, w)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if name == cmdEdit {
			rest = strings.TrimSuffix(strings.TrimPrefix(rest, "第"), "项")
			if _, err := strconv.Atoi(rest); err == nil {
				return command{name: cmdEdit, arg: rest}, true
			}
			continue
		}
		if loc := parseLangArg(rest); loc != "" {
			return command{name: cmdLang, arg: loc}, true
		}
	}
	return command{}, false
}

func parseLangArg(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "english", "英文", "英语", "en-us", "en-gb":
		return catalog.En
	case "zh", "zh-cn", "cn", "chinese", "中文", "汉语", "简体中文":
		return catalog.ZhCN
	}
	return ""
}
