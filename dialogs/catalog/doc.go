// Package catalog holds every user-visible string of deskbot's chat side: the
// dialog engine's prompts and errors, the intake forms' labels, and the
// channels' own messages, in zh-CN (the default) and en.
//
// Messages live in embedded go-i18n files, locales/active.zh-CN.yaml and
// locales/active.en.yaml, one flat key per line, grouped by prefix:
//
//	dialog.*            the engine (commands, errors, summary, sessions)
//	form.<form>.*       one intake form (title, fields, options)
//	telegram.*, slack.*, webchat.*   the channels (added by them)
//
// Both files must hold the same keys; the package's tests fail otherwise.
//
// The package may import only the standard library, go-i18n,
// golang.org/x/text and gopkg.in/yaml.v3.
package catalog
