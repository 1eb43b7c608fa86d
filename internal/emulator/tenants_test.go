package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tenantFixture is a server with two tag sets, two environments, a tenanted
// project with a plain and a sensitive variable template, and a library set
// with a template that the project includes.
type tenantFixture struct {
	s                 *Server
	f                 *fixture
	project, lvs      string
	dev, prod         string
	urlTpl, keyTpl    string
	regionTpl         string
	untenantedProject string
}

func newTenantFixture(t *testing.T) *tenantFixture {
	t.Helper()
	s := newConformanceServer(t)
	f := &fixture{ids: map[string]string{}}
	tf := &tenantFixture{s: s, f: f}
	post(t, s, sp+"/tagsets", map[string]any{"Name": "Region", "Tags": []any{map[string]any{"Name": "EU"}, map[string]any{"Name": "US"}}})
	post(t, s, sp+"/tagsets", map[string]any{"Name": "Tier", "Tags": []any{map[string]any{"Name": "Gold"}, map[string]any{"Name": "Silver"}}})
	tf.dev = field(post(t, s, sp+"/environments", map[string]any{"Name": "Dev"}), "Id")
	tf.prod = field(post(t, s, sp+"/environments", map[string]any{"Name": "Prod"}), "Id")
	tf.lvs = f.librarySet(t, s)
	lc := field(firstOf(t, s, sp+"/lifecycles"), "Id")
	pg := field(firstOf(t, s, sp+"/projectgroups"), "Id")
	p := post(t, s, sp+"/projects", map[string]any{
		"Name": "Tenanted", "LifecycleId": lc, "ProjectGroupId": pg, "TenantedDeploymentMode": "Tenanted",
		"IncludedLibraryVariableSetIds": []string{tf.lvs},
		"Templates": []any{
			map[string]any{"Name": "Url", "DefaultValue": "https://default"},
			map[string]any{"Name": "Key", "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
		},
	}).(map[string]any)
	tf.project = field(p, "Id")
	tpls := p["Templates"].([]any)
	tf.urlTpl, tf.keyTpl = field(tpls[0], "Id"), field(tpls[1], "Id")
	tf.regionTpl = field(get(t, s, sp+"/libraryvariablesets/"+tf.lvs).(map[string]any)["Templates"].([]any)[0], "Id")
	tf.untenantedProject = field(post(t, s, sp+"/projects", map[string]any{"Name": "Plain", "LifecycleId": lc, "ProjectGroupId": pg}), "Id")
	return tf
}

func (tf *tenantFixture) tenant(t *testing.T, name string, tags ...string) string {
	t.Helper()
	return field(post(t, tf.s, sp+"/tenants", map[string]any{
		"Name": name, "TenantTags": tags,
		"ProjectEnvironments": map[string]any{tf.project: []string{tf.dev, tf.prod}},
	}), "Id")
}

func TestTenantValidation(t *testing.T) {
	t.Parallel()
	tf := newTenantFixture(t)
	tf.tenant(t, "Taken")
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"unknown tag", map[string]any{"TenantTags": []string{"Region/Mars"}}, "Region/Mars"},
		{"tag without set", map[string]any{"TenantTags": []string{"EU"}}, "EU"},
		{"unknown project", map[string]any{"ProjectEnvironments": map[string]any{"Projects-999": []string{tf.dev}}}, "Projects-999"},
		{"unknown environment", map[string]any{"ProjectEnvironments": map[string]any{tf.project: []string{"Environments-999"}}}, "Environments-999"},
		{"untenanted project", map[string]any{"ProjectEnvironments": map[string]any{tf.untenantedProject: []string{tf.dev}}}, "TenantedDeploymentMode"},
		{"duplicate name", map[string]any{"Name": "taken"}, "already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"Name": "New"}
			for k, v := range tc.body {
				body[k] = v
			}
			r := conformanceCall(t, tf.s, http.MethodPost, sp+"/tenants", body, http.StatusBadRequest)
			if b, _ := json.Marshal(r); !strings.Contains(string(b), tc.want) {
				t.Errorf("error %s does not mention %q", b, tc.want)
			}
		})
	}
	// Tags are matched case-insensitively; connections are keyed by the
	// canonical project ID even when the client used the slug.
	tn := post(t, tf.s, sp+"/tenants", map[string]any{
		"Name": "Slugged", "TenantTags": []string{"region/eu"},
		"ProjectEnvironments": map[string]any{"tenanted": []string{tf.dev, tf.dev}},
	}).(map[string]any)
	pe := tn["ProjectEnvironments"].(map[string]any)
	if tags, _ := tn["TenantTags"].([]any); len(tags) != 1 || tags[0] != "Region/EU" {
		t.Errorf("tags stored as %v, want the canonical Region/EU", tags)
	}
	if envs, _ := pe[tf.project].([]any); len(envs) != 1 || field(tn, "Slug") != "slugged" {
		t.Errorf("tenant: %v", tn)
	}
	if links := tn["Links"].(map[string]any); links["Variables"] != sp+"/tenants/"+field(tn, "Id")+"/variables" {
		t.Errorf("Links.Variables = %v", links["Variables"])
	}
}

func TestTenantFilters(t *testing.T) {
	t.Parallel()
	tf := newTenantFixture(t)
	euGold := tf.tenant(t, "EU Gold", "Region/EU", "Tier/Gold")
	usGold := tf.tenant(t, "US Gold", "Region/US", "Tier/Gold")
	euSilver := tf.tenant(t, "EU Silver", "Region/EU", "Tier/Silver")
	post(t, tf.s, sp+"/tenants", map[string]any{"Name": "Unconnected"})
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// Within a tag set any tag matches; across tag sets all must.
		{"tags=Region/EU", []string{euGold, euSilver}},
		{"tags=Region/EU,Region/US", []string{euGold, usGold, euSilver}},
		{"tags=Region/EU&tags=Tier/Gold", []string{euGold}},
		{"tags=" + url.QueryEscape("Region/US,Tier/Silver"), nil},
		{"projectId=" + tf.project, []string{euGold, usGold, euSilver}},
		{"partialName=gold", []string{euGold, usGold}},
	} {
		list := get(t, tf.s, sp+"/tenants?"+tc.query).(map[string]any)
		var got []string
		for _, x := range list["Items"].([]any) {
			got = append(got, field(x, "Id"))
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("?%s = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestTenantVariables(t *testing.T) {
	t.Parallel()
	tf := newTenantFixture(t)
	s := tf.s
	tn := tf.tenant(t, "Acme")
	legacy := sp + "/tenants/" + tn + "/variables"

	tv := get(t, s, legacy).(map[string]any)
	pv := tv["ProjectVariables"].(map[string]any)[tf.project].(map[string]any)
	if len(pv["Templates"].([]any)) != 2 || field(tv, "TenantName") != "Acme" {
		t.Fatalf("tenant variables: %v", tv)
	}
	pv["Variables"] = map[string]any{
		tf.dev:  map[string]any{tf.urlTpl: "https://dev", tf.keyTpl: map[string]any{"HasValue": true, "NewValue": "dev-secret"}},
		tf.prod: map[string]any{tf.keyTpl: map[string]any{"HasValue": true, "NewValue": "prod-secret"}},
	}
	lv := tv["LibraryVariables"].(map[string]any)[tf.lvs].(map[string]any)
	lv["Variables"] = map[string]any{tf.regionTpl: "eu-west-1"}
	// The legacy SDK writes with POST (UpdateVariables) or PUT.
	tv = conformanceCall(t, s, http.MethodPost, legacy, tv, http.StatusOK).(map[string]any)
	raw, _ := json.Marshal(tv)
	if strings.Contains(string(raw), "secret") {
		t.Fatalf("secret served: %s", raw)
	}
	devKey := tv["ProjectVariables"].(map[string]any)[tf.project].(map[string]any)["Variables"].(map[string]any)[tf.dev].(map[string]any)[tf.keyTpl].(map[string]any)
	if devKey["HasValue"] != true || devKey["NewValue"] != nil {
		t.Errorf("sensitive value served as %v", devKey)
	}
	// A round trip of what was served keeps the secrets.
	conformanceCall(t, s, http.MethodPut, legacy, tv, http.StatusOK)
	secrets := func() map[string]any {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.st.get(tenantValuesTable, "Spaces-1", tn).secrets
	}
	if got := secrets()["Project/"+tf.project+"/"+tf.dev+"/"+tf.keyTpl]; got != "dev-secret" {
		t.Errorf("dev secret after round trip = %v", got)
	}

	// The 2024+ lists show the same values.
	list := get(t, s, sp+"/tenants/"+tn+"/projectvariables?includeMissingVariables=true").(map[string]any)
	vars := list["Variables"].([]any)
	missing := list["MissingVariables"].([]any)
	if len(vars) != 3 || len(missing) != 1 || field(missing[0], "TemplateId") != tf.urlTpl {
		t.Fatalf("project variables: %d values, missing %v", len(vars), missing)
	}
	if m := get(t, s, sp+"/tenants/"+tn+"/projectvariables").(map[string]any)["MissingVariables"].([]any); len(m) != 0 {
		t.Errorf("missing variables without includeMissingVariables: %v", m)
	}
	common := get(t, s, sp+"/tenants/"+tn+"/commonvariables").(map[string]any)["Variables"].([]any)
	if len(common) != 1 || common[0].(map[string]any)["Value"] != "eu-west-1" {
		t.Errorf("common variables: %v", common)
	}

	// Modify: send back every value, change the plain one, keep the secrets.
	payload := []any{}
	for _, x := range vars {
		v := x.(map[string]any)
		item := map[string]any{"Id": v["Id"], "ProjectId": v["ProjectId"], "TemplateId": v["TemplateId"], "Value": v["Value"], "Scope": v["Scope"]}
		if field(v, "TemplateId") == tf.urlTpl {
			item["Value"] = "https://dev2"
		}
		payload = append(payload, item)
	}
	out := conformanceCall(t, s, http.MethodPut, sp+"/tenants/"+tn+"/projectvariables", map[string]any{"Variables": payload}, http.StatusOK).(map[string]any)
	if len(out["Variables"].([]any)) != 3 || field(out, "TenantId") != tn {
		t.Errorf("modify answer: %v", out)
	}
	if got := secrets()["Project/"+tf.project+"/"+tf.prod+"/"+tf.keyTpl]; got != "prod-secret" {
		t.Errorf("prod secret after modify = %v", got)
	}
	tv = get(t, s, legacy).(map[string]any)
	if got := tv["ProjectVariables"].(map[string]any)[tf.project].(map[string]any)["Variables"].(map[string]any)[tf.dev].(map[string]any)[tf.urlTpl]; got != "https://dev2" {
		t.Errorf("url after modify = %v", got)
	}
	bad := map[string]any{"Variables": []any{map[string]any{"ProjectId": tf.untenantedProject, "TemplateId": tf.urlTpl, "Value": "x"}}}
	conformanceCall(t, s, http.MethodPut, sp+"/tenants/"+tn+"/projectvariables", bad, http.StatusBadRequest)

	all := get(t, s, sp+"/tenantvariables/all?projectId="+tf.project).([]any)
	if len(all) != 1 || field(all[0], "TenantId") != tn {
		t.Errorf("tenantvariables/all: %v", all)
	}
	conformanceCall(t, s, http.MethodDelete, sp+"/tenants/"+tn, nil, http.StatusOK)
	conformanceCall(t, s, http.MethodGet, legacy, nil, http.StatusNotFound)
	s.mu.RLock()
	left := s.st.get(tenantValuesTable, "Spaces-1", tn)
	s.mu.RUnlock()
	if left != nil {
		t.Error("tenant values survive the tenant")
	}
}

// The documents kept beside the kinds (template versions, tenant values) and
// their secrets survive a restart with a state file.
func TestProjectTemplateTenantStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	s, err := New(Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ids: map[string]string{}}
	at := f.actionTemplate(t, s)
	cur := get(t, s, sp+"/actiontemplates/"+at).(map[string]any)
	cur["Description"] = "second"
	conformanceCall(t, s, http.MethodPut, sp+"/actiontemplates/"+at, cur, http.StatusOK)
	tn := f.tenant(t, s)
	missing := get(t, s, sp+"/tenants/"+tn+"/projectvariables?includeMissingVariables=true").(map[string]any)["MissingVariables"].([]any)[0].(map[string]any)
	conformanceCall(t, s, http.MethodPut, sp+"/tenants/"+tn+"/projectvariables", map[string]any{"Variables": []any{map[string]any{
		"ProjectId": missing["ProjectId"], "TemplateId": missing["TemplateId"], "Scope": missing["Scope"],
		"Value": map[string]any{"HasValue": true, "NewValue": "kept-secret"},
	}}}, http.StatusOK)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(state); err != nil || strings.Contains(string(raw), "kept-secret") {
		t.Fatalf("state file: %v (secret in clear: %v)", err, strings.Contains(string(raw), "kept-secret"))
	}

	s = startServer(t, Options{StatePath: state})
	if v0 := get(t, s, sp+"/actiontemplates/"+at+"/versions/0").(map[string]any); v0["Description"] != "" {
		t.Errorf("version 0 after restart: %v", v0)
	}
	s.mu.RLock()
	rec := s.st.get(tenantValuesTable, "Spaces-1", tn)
	s.mu.RUnlock()
	if rec == nil || len(rec.secrets) != 1 {
		t.Fatalf("tenant values after restart: %+v", rec)
	}
	for _, v := range rec.secrets {
		if v != "kept-secret" {
			t.Errorf("secret after restart = %v", v)
		}
	}
}
