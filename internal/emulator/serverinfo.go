package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// Server status and health, the time zones scheduled triggers may use, the
// event metadata an audit log filter offers and the built-in feed's
// statistics.

func init() {
	addRoute(http.MethodGet, "serverstatus", RouteSystem, func(c *Call) (any, error) {
		return Doc{
			"Id": "serverstatus", "IsDatabaseEncrypted": true, "IsInMaintenanceMode": false,
			"IsMajorMinorUpgrade": false, "IsUpgradeAvailable": false, "MaintenanceExpires": nil,
			"MaximumAvailableVersion": c.srv.ServerVersion(), "MaximumAvailableVersionCoveredByLicense": c.srv.ServerVersion(),
			"LastModifiedBy": nil, "LastModifiedOn": nil,
			"Links": map[string]any{"Self": "/api/serverstatus", "Health": "/api/serverstatus/health", "Timezones": "/api/serverstatus/timezones"},
		}, nil
	})
	addRoute(http.MethodGet, "serverstatus/health", RouteSystem, func(c *Call) (any, error) {
		return Doc{
			"Id": "serverstatus-health", "IsOperatingNormally": true, "IsCompliantWithLicense": true,
			"IsEntireClusterDrainingTasks": false, "IsEntireClusterReadOnly": false,
			"Description": "The Octopus Server is operating normally.", "LastModifiedBy": nil, "LastModifiedOn": nil,
			"Links": map[string]any{"Self": "/api/serverstatus/health"},
		}, nil
	})
	addRoute(http.MethodGet, "serverstatus/timezones", RouteSystem, func(c *Call) (any, error) {
		out := []Doc{}
		for _, z := range serverTimezones {
			out = append(out, Doc{"Id": z[0], "Name": z[1], "IsLocal": z[0] == "UTC", "LastModifiedBy": nil, "LastModifiedOn": nil,
				"Links": map[string]any{}})
		}
		return out, nil
	})
	addRoute(http.MethodGet, "events/categories", RouteSystem, func(c *Call) (any, error) {
		out := []Doc{}
		for _, cat := range eventCategories {
			out = append(out, Doc{"Id": cat, "Name": splitWords(cat), "Links": map[string]any{}})
		}
		return out, nil
	})
	addRoute(http.MethodGet, "events/groups", RouteSystem, func(c *Call) (any, error) {
		return []Doc{{"Id": "Document", "Name": "Document", "EventCategories": anySlice(eventCategories), "Links": map[string]any{}}}, nil
	})
	addRoute(http.MethodGet, "events/agents", RouteSystem, func(c *Call) (any, error) {
		// The emulator's events record no agent (the client that made the
		// change): there is none to offer.
		return []Doc{}, nil
	})
	addRoute(http.MethodGet, "events/documenttypes", RouteSystem, func(c *Call) (any, error) {
		out := []Doc{}
		for _, k := range kindsOrder {
			if !k.NoEvents {
				out = append(out, Doc{"Id": k.Name, "Name": splitWords(k.ItemType)})
			}
		}
		sort.Slice(out, func(i, j int) bool { return str(out[i], "Id") < str(out[j], "Id") })
		return out, nil
	})
	addRoute(http.MethodGet, "feeds/stats", RouteSpace, func(c *Call) (any, error) {
		return Doc{"Id": "feeds-builtin-stats", "TotalPackages": len(c.srv.selected(c, packagesKind)),
			"LastModifiedBy": nil, "LastModifiedOn": nil, "Links": map[string]any{}}, nil
	})
}

// eventCategories are the categories the emulator's audit log records:
// every mutation through the generic pipeline is Created, Modified or
// Deleted (events.go).
var eventCategories = []string{"Created", "Modified", "Deleted"}

// serverTimezones are Windows time zone IDs (what the real server, a .NET
// service, lists) with their display names.
var serverTimezones = [][2]string{
	{"UTC", "(UTC) Coordinated Universal Time"},
	{"GMT Standard Time", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London"},
	{"W. Europe Standard Time", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"},
	{"E. Europe Standard Time", "(UTC+02:00) Chisinau"},
	{"India Standard Time", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi"},
	{"China Standard Time", "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi"},
	{"Tokyo Standard Time", "(UTC+09:00) Osaka, Sapporo, Tokyo"},
	{"AUS Eastern Standard Time", "(UTC+10:00) Canberra, Melbourne, Sydney"},
	{"Eastern Standard Time", "(UTC-05:00) Eastern Time (US & Canada)"},
	{"Central Standard Time", "(UTC-06:00) Central Time (US & Canada)"},
	{"Pacific Standard Time", "(UTC-08:00) Pacific Time (US & Canada)"},
}

// splitWords turns "DeploymentTarget" into "Deployment Target".
func splitWords(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
