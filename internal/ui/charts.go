package ui

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
)

// Server-rendered SVG charts: no script, and the CSP allows them.

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64 // 0..Max
	Note  string
	Class string
}

// barChart draws labelled vertical bars, scaled to max.
func barChart(title string, bars []bar, maxVal float64) template.HTML {
	const w, h, top, bottom = 560, 180, 20, 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, w, h, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="4" y="14" class="chart-title">%s</text>`, template.HTMLEscapeString(title))
	if len(bars) == 0 || maxVal <= 0 {
		b.WriteString(`<text x="4" y="60">no data yet</text></svg>`)
		return template.HTML(b.String()) //nolint:gosec // built from escaped parts
	}
	slot := float64(w-8) / float64(len(bars))
	for i, br := range bars {
		bh := (float64(h-top-bottom) * br.Value) / maxVal
		x := 4 + float64(i)*slot
		y := float64(h-bottom) - bh
		cls := br.Class
		if cls == "" {
			cls = "bar"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`,
			cls, x+2, y, slot-4, bh, template.HTMLEscapeString(br.Label+": "+br.Note))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="chart-label">%s</text>`, x+2, h-bottom+14, template.HTMLEscapeString(br.Label))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="chart-value">%s</text>`, x+2, y-3, template.HTMLEscapeString(br.Note))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from escaped parts
}

// deploymentsPerDay counts the deployments among rows queued on each of
// the last days.
func deploymentsPerDay(rows []taskRow, now time.Time, days int) template.HTML {
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	counts := make([]int, days)
	total, most := 0, 0
	for _, r := range rows {
		if r.Name != "Deploy" && !strings.HasPrefix(r.Description, "deploy ") {
			continue
		}
		d := int(r.Queued.UTC().Sub(start).Hours() / 24)
		if d >= 0 && d < days {
			counts[d]++
			total++
			most = max(most, counts[d])
		}
	}
	var bars []bar
	for i, n := range counts {
		bars = append(bars, bar{Label: start.AddDate(0, 0, i).Format("01-02"), Value: float64(n), Note: fmt.Sprint(n)})
	}
	if total == 0 {
		bars = nil
	}
	return barChart("Deployments per day", bars, float64(most))
}

// successRate is the share of successful current deployments per
// environment of a dashboard.
func successRate(items []octopus.DashboardItem, envName map[string]string) template.HTML {
	type acc struct{ ok, all int }
	per := map[string]*acc{}
	for _, it := range items {
		if !it.IsCompleted || envName[it.EnvironmentID] == "" {
			continue
		}
		a := per[it.EnvironmentID]
		if a == nil {
			a = &acc{}
			per[it.EnvironmentID] = a
		}
		a.all++
		if it.State == "Success" {
			a.ok++
		}
	}
	var bars []bar
	for id, a := range per {
		pct := 100 * float64(a.ok) / float64(a.all)
		cls := "bar ok"
		if pct < 100 {
			cls = "bar warn"
		}
		if pct < 50 {
			cls = "bar bad"
		}
		bars = append(bars, bar{Label: envName[id], Value: pct, Note: fmt.Sprintf("%.0f%% of %d", pct, a.all), Class: cls})
	}
	sort.Slice(bars, func(i, j int) bool { return bars[i].Label < bars[j].Label })
	return barChart("Success rate per environment (latest deployments)", bars, 100)
}
