package emulator

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// TestConformanceSettings checks the instance settings documents against the
// real server: the singletons against their swagger definitions, and what
// the swagger models only as a base type (the SMTP credential Details, the
// authentication section's values) against the server's contract types.
func TestConformanceSettings(t *testing.T) {
	t.Parallel()
	sw, _ := loadReference(t)
	contracts := loadContracts(t)
	s := newConformanceServer(t)
	for _, c := range []struct {
		path, definition string
		// contract checks the document's (or Details') property names
		// against a server contract instead of the swagger.
		contract string
	}{
		{path: "/api/smtpconfiguration", definition: "SmtpConfigurationResource", contract: "UsernamePasswordSmtpConfigurationResource"},
		{path: "/api/smtpconfiguration/isconfigured", definition: "SmtpIsConfiguredResource"},
		{path: "/api/audit-stream", definition: "AuditStreamConfigurationResource"},
		{path: "/api/authentication", definition: "AuthenticationResource"},
		{path: "/api/serverconfiguration", definition: "ServerConfigurationResource"},
		{path: "/api/configuration/retention-default", definition: "RetentionDefaultConfigurationResource"},
		{path: "/api/configuration/authentication/values", contract: "AuthenticationConfigResource"},
	} {
		t.Run(c.path, func(t *testing.T) {
			doc, _ := get(t, s, c.path).(map[string]any)
			if c.path == "/api/audit-stream" {
				// A configured stream: StreamConfigurationResource is an object.
				doc, _ = conformanceCall(t, s, http.MethodPut, c.path, map[string]any{"Active": true, "Description": "d",
					"StreamConfigurationResource": map[string]any{"SplunkEndpoint": "https://s", "SplunkEventCollectorToken": "t"}}, http.StatusOK).(map[string]any)
				stream, _ := doc["StreamConfigurationResource"].(map[string]any)
				checkContract(t, contracts, "SplunkAuditStreamConfigurationResource", stream)
			}
			subject := doc
			if details, ok := doc["Details"].(map[string]any); ok {
				checkContract(t, contracts, c.contract, details)
				subject = map[string]any{}
				for k, v := range doc {
					if k != "Details" {
						subject[k] = v
					}
				}
			} else if c.contract != "" {
				checkContract(t, contracts, c.contract, doc)
			}
			if c.definition != "" {
				checkDefinition(t, sw, c.definition, subject)
			}
		})
	}
}

// loadContracts reads server_contracts.json: contract name → property names.
func loadContracts(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(apiReferenceDir, "server_contracts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Name       string   `json:"name"`
		Properties []string `json:"properties"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, c := range list {
		out[c.Name] = c.Properties
	}
	return out
}

// checkContract fails for properties of doc that the contract lacks.
func checkContract(t *testing.T, contracts map[string][]string, name string, doc map[string]any) {
	t.Helper()
	props, ok := contracts[name]
	if !ok {
		t.Fatalf("no server contract %s", name)
	}
	var extra []string
	for k := range doc {
		if k != "Links" && !slices.Contains(props, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s: properties the real contract does not have: %v", name, extra)
	}
}
