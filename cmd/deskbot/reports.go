package main

import (
	"github.com/deskbot/deskbot/backend/reportsend"
)

// openReports builds the dispatcher of the weekly and monthly reports
// (DESIGN §7) and registers the platforms that send them, in order of
// preference: a person with accounts on several gets the report on the
// first.
func (m *Main) openReports() {
	m.Reports = reportsend.New(reportsend.Config{Store: m.Store, Report: m.Service.Report, Console: m.Config.PublicURL,
		Location: m.Config.Location(), Logger: m.Log.With("component", "reports")})
	if m.Telegram != nil {
		m.Reports.Register(m.Telegram)
	}
	if m.Slack != nil {
		m.Reports.Register(m.Slack)
	}
	if m.mail != nil {
		m.Reports.Register(m.mail)
	}
}
