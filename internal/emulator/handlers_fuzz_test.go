package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// FuzzHandlers posts and puts any body to representative JSON routes of one
// emulator (per fuzzing process): spaces, environments, projects, step
// templates, tenants and a project's variables. No body may make the
// server answer 5xx (no faults are injected), hang, or stop it answering:
// a handler that panics answers 500 (server.go recovers it), which fails
// the test. Seeds are the server's own documents, as a client would PUT them
// back.
func FuzzHandlers(f *testing.F) {
	srv := emulatortest.New(f)
	const sp = "/api/Spaces-1"
	first := func(path string) map[string]any {
		var page struct{ Items []map[string]any }
		emulatortest.Call(f, srv, http.MethodGet, path, nil, &page)
		if len(page.Items) == 0 {
			f.Fatalf("GET %s: no items", path)
		}
		return page.Items[0]
	}
	post := func(path string, in any) map[string]any {
		var out map[string]any
		emulatortest.Call(f, srv, http.MethodPost, path, in, &out)
		return out
	}
	lc, pg := first(sp + "/lifecycles")["Id"], first(sp + "/projectgroups")["Id"]
	env := post(sp+"/environments", map[string]any{"Name": "Fuzz"})
	proj := post(sp+"/projects", map[string]any{"Name": "Fuzz", "LifecycleId": lc, "ProjectGroupId": pg, "TenantedDeploymentMode": "TenantedOrUntenanted"})
	tenant := post(sp+"/tenants", map[string]any{"Name": "Fuzz", "ProjectEnvironments": map[string]any{proj["Id"].(string): []any{env["Id"]}}})
	tmpl := post(sp+"/actiontemplates", map[string]any{"Name": "Fuzz", "ActionType": "Octopus.Script",
		"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo #{Greeting}"},
		"Parameters": []any{map[string]any{"Name": "Greeting", "DefaultValue": "hi"}, map[string]any{"Name": "Token", "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}}}})
	varsPath := sp + "/variables/" + proj["VariableSetId"].(string)
	var vars map[string]any
	emulatortest.Call(f, srv, http.MethodGet, varsPath, nil, &vars)
	vars["Variables"] = []any{map[string]any{"Name": "A", "Value": "#{B}", "Scope": map[string]any{"Environment": []any{env["Id"]}}},
		map[string]any{"Name": "S", "Value": "secret", "IsSensitive": true, "Type": "Sensitive"}}
	var space map[string]any
	emulatortest.Call(f, srv, http.MethodGet, "/api/spaces/Spaces-1", nil, &space)

	routes := []struct {
		method, path string
		seed         any
	}{
		{http.MethodPost, "/api/spaces", map[string]any{"Name": "Fuzz Space", "SpaceManagersTeams": []any{"teams-administrators"}}},
		{http.MethodPut, "/api/spaces/Spaces-1", space},
		{http.MethodPost, sp + "/environments", map[string]any{"Name": "Fuzz 2", "UseGuidedFailure": true}},
		{http.MethodPut, sp + "/environments/" + env["Id"].(string), env},
		{http.MethodPost, sp + "/projects", map[string]any{"Name": "Fuzz 2", "LifecycleId": lc, "ProjectGroupId": pg}},
		{http.MethodPut, sp + "/projects/" + proj["Id"].(string), proj},
		{http.MethodPost, sp + "/actiontemplates", tmpl},
		{http.MethodPut, sp + "/actiontemplates/" + tmpl["Id"].(string), tmpl},
		{http.MethodPost, sp + "/tenants", map[string]any{"Name": "Fuzz 2", "TenantTags": []any{}}},
		{http.MethodPut, sp + "/tenants/" + tenant["Id"].(string), tenant},
		{http.MethodPut, varsPath, vars},
	}
	// Each route's document as it is, and with each of its properties
	// replaced by a value of another JSON type.
	for i, r := range routes {
		b, err := json.Marshal(r.seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), "", []byte(nil), b)
		for k := range r.seed.(map[string]any) {
			for _, v := range []string{`null`, `7`, `"x"`, `[{}]`, `{"a":[]}`} {
				f.Add(uint8(i), k, []byte(v), []byte(nil))
			}
		}
	}
	client := &http.Client{Timeout: 10 * time.Second} // a handler that hangs fails the input
	send := func(t *testing.T, method, path string, body []byte) (int, []byte) {
		req, err := http.NewRequestWithContext(context.Background(), method, srv.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Octopus-ApiKey", srv.APIKey())
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s %q: %v", method, path, body, err)
		}
		defer resp.Body.Close() //nolint:errcheck // read path
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s %q: read answer: %v", method, path, body, err)
		}
		return resp.StatusCode, raw
	}
	// field, when set, replaces that property of the route's document with
	// value (JSON, or else a string) and sends that; otherwise body is sent.
	f.Fuzz(func(t *testing.T, route uint8, field string, value, body []byte) {
		var err error
		r := routes[int(route)%len(routes)]
		if field != "" {
			doc := map[string]any{}
			b, _ := json.Marshal(r.seed)
			_ = json.Unmarshal(b, &doc) // a copy: the fuzz function may not change the seed
			var v any
			if json.Unmarshal(value, &v) != nil {
				v = string(value)
			}
			doc[field] = v
			if body, err = json.Marshal(doc); err != nil {
				t.Fatal(err)
			}
		}
		if status, raw := send(t, r.method, r.path, body); status >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, status, raw)
		}
		if status, raw := send(t, http.MethodGet, "/api", nil); status != http.StatusOK {
			t.Fatalf("after %s %s %q the server answers GET /api %d %s", r.method, r.path, body, status, raw)
		}
	})
}
