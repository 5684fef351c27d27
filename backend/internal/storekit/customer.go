package storekit

import (
	"fmt"

	"github.com/deskbot/deskbot/backend"
)

// UnknownCustomers is PutCustomers' EINVALID error naming every order
// whose customer code known says is neither listed nor stored
// ("orders[2].customer"); nil when every customer is known.
func UnknownCustomers(orders []*backend.Order, known func(code string) bool) error {
	e := &backend.Error{Code: backend.EINVALID, Message: "invalid customer directory",
		Fields: map[string]string{}, Problems: map[string]backend.Problem{}}
	for i, o := range orders {
		if known(o.CustomerCode) {
			continue
		}
		field := fmt.Sprintf("orders[%d].customer", i)
		e.Fields[field] = fmt.Sprintf("no customer has the code %q", o.CustomerCode)
		e.Problems[field] = backend.Problem{Key: "unknown", Args: map[string]any{"Value": o.CustomerCode}}
	}
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// UniquePhones is phones without repeats, in their order: a number is
// one customer's once.
func UniquePhones(phones []string) []string {
	seen := make(map[string]bool, len(phones))
	out := make([]string, 0, len(phones))
	for _, p := range phones {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
