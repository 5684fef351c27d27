package main

import (
	"testing"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestFollowUpTexts checks that every dissatisfaction factor, mark, state
// and outcome of the backend has its text (and every factor its script,
// 话术) in every catalog: the console shows them by key.
func TestFollowUpTexts(t *testing.T) {
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range backend.Factors {
		ids = append(ids, "followup.factor."+string(f), "followup.script."+string(f))
	}
	for _, m := range backend.FollowUpMarks {
		ids = append(ids, "followup.mark."+string(m))
	}
	for _, o := range backend.Outcomes {
		ids = append(ids, "followup.outcome."+string(o))
	}
	for _, s := range []backend.SurveyState{backend.SurveyNeeded, backend.SurveyNotNeeded, backend.SurveyDone} {
		ids = append(ids, "followup.survey."+string(s))
	}
	for _, s := range []backend.CallbackState{backend.CallbackNeeded, backend.CallbackNotNeeded, backend.CallbackDone} {
		ids = append(ids, "followup.callback."+string(s))
	}
	for _, d := range []backend.Due{backend.DueNow, backend.DueOverdue, backend.DueLater} {
		ids = append(ids, "followup.due."+string(d))
	}
	for _, k := range []string{"follow_up", "surveyed", "called_back", "no_callback", "follow_up_marked"} {
		ids = append(ids, "err."+k)
	}
	for _, id := range ids {
		if !c.Has(id) {
			t.Errorf("%s is not in every catalog", id)
		}
	}
}
