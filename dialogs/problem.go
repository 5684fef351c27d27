package dialogs

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is why an answer was refused: a catalog key (dialog.err.*) and
// the data its text needs. Validators return it so they stay free of any
// language; the engine translates it for the reporter.
type Problem struct {
	Key  string
	Data map[string]any
}

func problem(key string, kv ...any) *Problem {
	p := &Problem{Key: key}
	if len(kv) > 0 {
		p.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			p.Data[kv[i].(string)] = kv[i+1]
		}
	}
	return p
}

// Error renders the problem for logs and tests: key{Data}.
func (p *Problem) Error() string {
	if len(p.Data) == 0 {
		return p.Key
	}
	keys := make([]string, 0, len(p.Data))
	for k := range p.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p.Data[k])
	}
	return p.Key + "{" + strings.Join(parts, " ") + "}"
}
