package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The conformance test checks the emulator against the real server's API
// description in ../shared/octopus-api (the swagger document of Octopus
// 2026.1 and the route list taken from the server's source). It is skipped
// where that folder is absent (a fresh clone elsewhere).

// apiReferenceDir is ../shared/octopus-api seen from the repository root;
// tests run in internal/emulator.
var apiReferenceDir = filepath.Join("..", "..", "..", "shared", "octopus-api")

type swaggerDoc struct {
	Paths       map[string]map[string]json.RawMessage `json:"paths"`
	Definitions map[string]struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"definitions"`
}

func loadReference(t *testing.T) (*swaggerDoc, map[string]bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(apiReferenceDir, "swagger-2026.1.json"))
	if os.IsNotExist(err) {
		t.Skipf("no API reference at %s", apiReferenceDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var sw swaggerDoc
	if err := json.Unmarshal(raw, &sw); err != nil {
		t.Fatalf("decode swagger: %v", err)
	}
	raw, err = os.ReadFile(filepath.Join(apiReferenceDir, "server_endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	var endpoints []struct{ Method, Route string }
	if err := json.Unmarshal(raw, &endpoints); err != nil {
		t.Fatalf("decode server_endpoints: %v", err)
	}
	known := map[string]bool{}
	for _, e := range endpoints {
		known[strings.ToUpper(e.Method)+" "+normalRoute(e.Route)] = true
	}
	for p, ops := range sw.Paths {
		for m := range ops {
			known[strings.ToUpper(m)+" "+normalRoute("api"+p)] = true
		}
	}
	return &sw, known
}

var routeParam = regexp.MustCompile(`\{[^}]*\}`)

// normalRoute makes routes comparable: lower case, no leading slash, every
// parameter "{}", and the /spaces/{spaceId}/ form folded into /{spaceId}/.
func normalRoute(r string) string {
	r = strings.ToLower(strings.Trim(r, "/"))
	r = routeParam.ReplaceAllString(r, "{}")
	if rest, ok := strings.CutPrefix(r, "api/spaces/{}/"); ok {
		r = "api/{}/" + rest
	}
	return r
}

// servedRoutes lists every route the server answers, as "METHOD api/..."
// in the form a space-scoped route is documented with (/api/{spaceId}/x).
func servedRoutes(s *Server) []string {
	seen := map[string]bool{}
	for _, list := range s.router.byFirst {
		for _, rt := range list {
			path := "api"
			if rt.scope != RouteSystem {
				path += "/{spaceId}"
			}
			if rt.pattern != "" {
				path += "/" + rt.pattern
			}
			seen[rt.method+" "+path] = true
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// knownExtraRoutes are routes the emulator serves although the real server
// does not, each with the reason it is tolerated. Remove an entry when its
// owner drops the route; the test fails on an entry that is no longer served.
var knownExtraRoutes = map[string]string{
	"GET api/{spaceId}/runbookProcesses/all": "generic /all of the RunbookProcesses kind (runbooks.go); real server: no list at all",
}

// knownExtraUnscoped are space routes whose unscoped form (/api/x, meaning
// the default space; router.go RouteSpace) the real server does not have. The
// emulator answers every space route in all three forms.
var knownExtraUnscoped = map[string]bool{
	"GET api/projects/{projectId}/variables":    true,
	"PUT api/projects/{projectId}/variables":    true,
	"GET api/runbookProcesses/all":              true,
	"POST api/deployments/create/tenanted/v1":   true,
	"POST api/deployments/create/untenanted/v1": true,
	// Git credentials are documented only in the space forms; the unscoped
	// form answers for the default space like every space route.
	"GET api/git-credentials":               true,
	"POST api/git-credentials":              true,
	"GET api/git-credentials/v1":            true,
	"POST api/git-credentials/v1":           true,
	"GET api/git-credentials/{id}":          true,
	"PUT api/git-credentials/{id}":          true,
	"DELETE api/git-credentials/{id}":       true,
	"GET api/git-credentials/{id}/v1":       true,
	"PUT api/git-credentials/{id}/v1":       true,
	"DELETE api/git-credentials/{id}/v1":    true,
	"GET api/git-credentials/{id}/usage":    true,
	"GET api/git-credentials/{id}/usage/v1": true,
}

func TestConformanceRoutes(t *testing.T) {
	t.Parallel()
	_, known := loadReference(t)
	s := newConformanceServer(t)
	served := map[string]bool{}
	for _, r := range servedRoutes(s) {
		served[r] = true
		method, path, _ := strings.Cut(r, " ")
		if known[method+" "+normalRoute(path)] {
			continue
		}
		if why, ok := knownExtraRoutes[r]; ok {
			t.Logf("tolerated: %s (%s)", r, why)
			continue
		}
		t.Errorf("the emulator serves %s, which the real server does not have", r)
	}
	for r := range served {
		method, path, _ := strings.Cut(r, " ")
		rest, ok := strings.CutPrefix(path, "api/{spaceId}/")
		if !ok || known[method+" "+normalRoute("api/"+rest)] || knownExtraUnscoped[method+" api/"+rest] {
			continue
		}
		t.Errorf("the emulator serves %s also as /api/%s, which the real server does not have", r, rest)
	}
	for r := range knownExtraRoutes {
		if !served[r] {
			t.Errorf("knownExtraRoutes lists %s, which is no longer served: remove the entry", r)
		}
	}
}

func newConformanceServer(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	tmpl := `{"Id":"9c0e5fd4-3b1c-4f7e-a3c4-0d6f1a2b3c4d","Name":"Conformance","Description":"d","ActionType":"Octopus.Script",
"Version":2,"Author":"me","Category":"other","Packages":[],"Properties":{"Octopus.Action.Script.ScriptBody":"echo"},
"Parameters":[{"Name":"P","Label":"P","HelpText":"","DefaultValue":"x","DisplaySettings":{}}],"LastModifiedBy":"me"}`
	if err := os.WriteFile(filepath.Join(dir, "conformance.json"), []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServer(t, Options{CommunityTemplatesDir: dir})
}

// startServer starts an emulator with o and closes it when the test ends, as
// emulatortest.New does for the other packages (this package's tests cannot
// import it).
func startServer(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// conformanceCall sends one request with the admin key and decodes the
// answer, failing the test on an unexpected status.
func conformanceCall(t *testing.T, s *Server, method, path string, body any, want int) any {
	t.Helper()
	resp, raw := SendRequest(t, s, method, path, "", body, s.APIKey())
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

// sample is how the conformance test obtains one served document of a kind.
type sample struct {
	kind       string // Kind.Name, "" for documents that are not a kind
	definition string // swagger definition the document must match
	// get returns the served document (creating what it needs first).
	get func(t *testing.T, s *Server, f *fixture) any
	// items names definitions for array properties whose elements are
	// documents too ("Variables" -> "TenantProjectVariableV2").
	items map[string]string
	// subtype lists the properties of a polymorphic document's own type,
	// which the swagger leaves out of the base definition it names
	// ("Username" of a UsernamePassword account, "Endpoint.Host" of an SSH
	// endpoint): they are not checked.
	subtype []string
}

// withoutSubtype returns a copy of doc without the properties paths name.
func withoutSubtype(doc any, paths []string) any {
	m, ok := doc.(map[string]any)
	if !ok || len(paths) == 0 {
		return doc
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for _, p := range paths {
		head, rest, nested := strings.Cut(p, ".")
		if !nested {
			delete(out, head)
			continue
		}
		out[head] = withoutSubtype(out[head], []string{rest})
	}
	return out
}

// fixture creates, once, the documents several samples depend on.
type fixture struct {
	ids map[string]string
}

func (f *fixture) id(t *testing.T, s *Server, name string, create func() string) string {
	t.Helper()
	if f.ids[name] == "" {
		f.ids[name] = create()
	}
	return f.ids[name]
}

func field(v any, name string) string {
	m, _ := v.(map[string]any)
	s, _ := m[name].(string)
	return s
}

func post(t *testing.T, s *Server, path string, body any) any {
	t.Helper()
	return conformanceCall(t, s, http.MethodPost, path, body, http.StatusCreated)
}

func get(t *testing.T, s *Server, path string) any {
	t.Helper()
	return conformanceCall(t, s, http.MethodGet, path, nil, http.StatusOK)
}

// firstOf returns the first item of a paged list.
func firstOf(t *testing.T, s *Server, path string) any {
	t.Helper()
	items, _ := get(t, s, path).(map[string]any)["Items"].([]any)
	if len(items) == 0 {
		t.Fatalf("GET %s: no items", path)
	}
	return items[0]
}

const sp = "/api/Spaces-1"

func (f *fixture) environment(t *testing.T, s *Server) string {
	return f.id(t, s, "env", func() string {
		return field(post(t, s, sp+"/environments", map[string]any{"Name": "Conformance Env"}), "Id")
	})
}

func (f *fixture) project(t *testing.T, s *Server) string {
	return f.id(t, s, "project", func() string {
		lc := field(firstOf(t, s, sp+"/lifecycles"), "Id")
		pg := field(firstOf(t, s, sp+"/projectgroups"), "Id")
		lvs := f.librarySet(t, s)
		return field(post(t, s, sp+"/projects", map[string]any{
			"Name": "Conformance", "LifecycleId": lc, "ProjectGroupId": pg, "TenantedDeploymentMode": "Tenanted",
			"IncludedLibraryVariableSetIds": []string{lvs},
			"Templates":                     []any{map[string]any{"Name": "Url", "Label": "URL", "DefaultValue": "", "DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}}},
		}), "Id")
	})
}

func (f *fixture) librarySet(t *testing.T, s *Server) string {
	return f.id(t, s, "lvs", func() string {
		return field(post(t, s, sp+"/libraryvariablesets", map[string]any{
			"Name": "Conformance Set", "ContentType": "Variables",
			"Templates": []any{map[string]any{"Name": "Region", "Label": "Region", "DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}}},
		}), "Id")
	})
}

func (f *fixture) tagSet(t *testing.T, s *Server) string {
	return f.id(t, s, "tagset", func() string {
		return field(post(t, s, sp+"/tagsets", map[string]any{
			"Name": "Tier", "Tags": []any{map[string]any{"Name": "Gold", "Color": "#FFD700"}},
		}), "Id")
	})
}

func (f *fixture) tenant(t *testing.T, s *Server) string {
	return f.id(t, s, "tenant", func() string {
		f.tagSet(t, s)
		return field(post(t, s, sp+"/tenants", map[string]any{
			"Name": "Conformance Tenant", "TenantTags": []string{"Tier/Gold"},
			"ProjectEnvironments": map[string]any{f.project(t, s): []string{f.environment(t, s)}},
		}), "Id")
	})
}

// processWithStep gives the fixture project's deployment process one step
// (once) and returns the process.
func (f *fixture) processWithStep(t *testing.T, s *Server) any {
	p := f.project(t, s)
	dp := get(t, s, sp+"/projects/"+p+"/deploymentprocesses").(map[string]any)
	if steps, _ := dp["Steps"].([]any); len(steps) > 0 {
		return dp
	}
	dp["Steps"] = []any{map[string]any{"Name": "Hello", "Properties": map[string]any{"Octopus.Action.TargetRoles": "web"},
		"Actions": []any{map[string]any{"Name": "Hello", "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo hello"}}}}}
	return conformanceCall(t, s, http.MethodPut, sp+"/deploymentprocesses/"+field(dp, "Id"), dp, http.StatusOK)
}

func (f *fixture) machine(t *testing.T, s *Server) string {
	return f.id(t, s, "machine", func() string {
		return field(post(t, s, sp+"/machines", map[string]any{"Name": "Conformance Target", "Roles": []string{"web"},
			"EnvironmentIds": []string{f.environment(t, s)},
			"Endpoint":       map[string]any{"CommunicationStyle": "Ssh", "Host": "web1", "Port": 22, "Fingerprint": "x"}}), "Id")
	})
}

func (f *fixture) runbook(t *testing.T, s *Server) string {
	return f.id(t, s, "runbook", func() string {
		return field(post(t, s, sp+"/runbooks", map[string]any{"Name": "Conformance Runbook", "ProjectId": f.project(t, s)}), "Id")
	})
}

func (f *fixture) actionTemplate(t *testing.T, s *Server) string {
	return f.id(t, s, "template", func() string {
		return field(post(t, s, sp+"/actiontemplates", map[string]any{
			"Name": "Conformance Step", "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo"},
			"Parameters": []any{map[string]any{"Name": "Secret", "DefaultValue": map[string]any{"HasValue": true, "NewValue": "x"}}},
		}), "Id")
	})
}

func (f *fixture) certificate(t *testing.T, s *Server) string {
	return f.id(t, s, "certificate", func() string {
		data, _ := testCertificate(t, "conformance.example")
		return field(post(t, s, sp+"/certificates", map[string]any{"Name": "Conformance Cert",
			"CertificateData": map[string]any{"HasValue": true, "NewValue": data}, "EnvironmentIds": []string{f.environment(t, s)}}), "Id")
	})
}

// samples maps every kind (and the documents served beside kinds) to the
// swagger definition it must match. TestConformanceDocuments fails when a
// kind has no entry, so a new kind cannot go unchecked.
var samples = []sample{
	{kind: "Spaces", definition: "SpaceResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, "/api/spaces/Spaces-1")
	}},
	{kind: "Users", definition: "UserResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, "/api/users/me")
	}},
	{kind: "ApiKeys", definition: "ApiKeyResource", get: func(t *testing.T, s *Server, f *fixture) any {
		me := field(get(t, s, "/api/users/me"), "Id")
		return firstOf(t, s, "/api/users/"+me+"/apikeys")
	}},
	{kind: "Teams", definition: "TeamResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return post(t, s, "/api/teams", map[string]any{"Name": "Conformance Team", "MemberUserIds": []string{}})
	}},
	{kind: "UserRoles", definition: "UserRoleResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, "/api/userroles")
	}},
	{kind: "ScopedUserRoles", definition: "ScopedUserRoleResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, "/api/scopeduserroles")
	}},
	{kind: "Environments", definition: "EnvironmentResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/environments/"+f.environment(t, s))
	}},
	{kind: "Lifecycles", definition: "LifecycleResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/lifecycles")
	}},
	{kind: "ProjectGroups", definition: "ProjectGroupResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/projectgroups")
	}},
	{kind: "TagSets", definition: "TagSetResource", items: map[string]string{"Tags": "TagResource"}, get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/tagsets/"+f.tagSet(t, s))
	}},
	{kind: "Feeds", definition: "FeedResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/feeds")
	}},
	{kind: "Events", definition: "EventResource", get: func(t *testing.T, s *Server, f *fixture) any {
		f.environment(t, s)
		return firstOf(t, s, "/api/events")
	}},
	{kind: "InstanceSettings", definition: "ConfigurationSection", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, "/api/configuration")
	}},
	{kind: "Projects", definition: "ProjectResource", items: map[string]string{"Templates": "ActionTemplateParameterResource"}, get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/projects/"+f.project(t, s))
	}},
	{kind: "DeploymentProcesses", definition: "DeploymentProcessResource", items: map[string]string{"Steps": "DeploymentStepResource"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return f.processWithStep(t, s)
		}},
	{kind: "Channels", definition: "ChannelResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/projects/"+f.project(t, s)+"/channels")
	}},
	{kind: "Variables", definition: "VariableSetResource", items: map[string]string{"Variables": "VariableResource"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			vs := get(t, s, sp+"/projects/"+f.project(t, s)+"/variables").(map[string]any)
			vs["Variables"] = []any{
				map[string]any{"Name": "Plain", "Value": "v"},
				map[string]any{"Name": "Secret", "Value": "s", "IsSensitive": true},
			}
			return conformanceCall(t, s, http.MethodPut, sp+"/variables/"+field(vs, "Id"), vs, http.StatusOK)
		}},
	{kind: "LibraryVariableSets", definition: "LibraryVariableSetResource", items: map[string]string{"Templates": "ActionTemplateParameterResource"}, get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/libraryvariablesets/"+f.librarySet(t, s))
	}},
	{kind: "ActionTemplates", definition: "ActionTemplateResource", items: map[string]string{"Parameters": "ActionTemplateParameterResource"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/actiontemplates/"+f.actionTemplate(t, s))
		}},
	{kind: "CommunityActionTemplates", definition: "CommunityActionTemplateResource", items: map[string]string{"Parameters": "ActionTemplateParameterResource"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return firstOf(t, s, "/api/communityactiontemplates")
		}},
	{kind: "Tenants", definition: "TenantResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/tenants/"+f.tenant(t, s))
	}},
	{kind: "Subscriptions", definition: "SubscriptionResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return post(t, s, sp+"/subscriptions", map[string]any{"Name": "Conformance", "Type": "Event",
			"EventNotificationSubscription": map[string]any{"Filter": map[string]any{}}})
	}},
	{kind: "WorkerPools", definition: "WorkerPoolResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/workerpools")
	}},
	{kind: "Runbooks", definition: "RunbookResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/runbooks/"+f.runbook(t, s))
	}},
	{kind: "RunbookProcesses", definition: "RunbookProcessResource", get: func(t *testing.T, s *Server, f *fixture) any {
		rb := get(t, s, sp+"/runbooks/"+f.runbook(t, s))
		return get(t, s, sp+"/runbookProcesses/"+field(rb, "RunbookProcessId"))
	}},
	{definition: "GetProjectSummaryInDatabaseResponse", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/projects/"+f.project(t, s)+"/summary")
	}},
	{kind: "RunbookSnapshots", definition: "RunbookSnapshotResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return post(t, s, sp+"/runbookSnapshots", map[string]any{"ProjectId": f.project(t, s), "RunbookId": f.runbook(t, s), "Name": "Snapshot 1"})
	}},
	{kind: "Releases", definition: "ReleaseResource", get: func(t *testing.T, s *Server, f *fixture) any {
		f.processWithStep(t, s)
		return post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "1.0.0"})
	}},
	{definition: "TenantVariableResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/tenants/"+f.tenant(t, s)+"/variables")
	}},
	{definition: "GetProjectVariablesByTenantIdResponse", items: map[string]string{"MissingVariables": "MissingTenantProjectVariable"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/tenants/"+f.tenant(t, s)+"/projectvariables?includeMissingVariables=true")
		}},
	{definition: "ModifyProjectVariablesByTenantIdResponse", items: map[string]string{"Variables": "TenantProjectVariableV2"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			tn := f.tenant(t, s)
			missing := get(t, s, sp+"/tenants/"+tn+"/projectvariables?includeMissingVariables=true").(map[string]any)["MissingVariables"].([]any)
			m := missing[0].(map[string]any)
			body := map[string]any{"Variables": []any{map[string]any{"ProjectId": m["ProjectId"], "TemplateId": m["TemplateId"], "Value": "https://x", "Scope": m["Scope"]}}}
			return conformanceCall(t, s, http.MethodPut, sp+"/tenants/"+tn+"/projectvariables", body, http.StatusOK)
		}},
	{definition: "GetCommonVariablesByTenantIdResponse", items: map[string]string{"MissingVariables": "MissingTenantCommonVariable"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/tenants/"+f.tenant(t, s)+"/commonvariables?includeMissingVariables=true")
		}},
	{kind: "Accounts", definition: "AccountResource", subtype: []string{"Username", "Password"}, get: func(t *testing.T, s *Server, f *fixture) any {
		return post(t, s, sp+"/accounts", map[string]any{"Name": "Conformance Account", "AccountType": "UsernamePassword",
			"Username": "u", "Password": map[string]any{"HasValue": true, "NewValue": "secret"}, "EnvironmentIds": []string{f.environment(t, s)}})
	}},
	{kind: "MachinePolicies", definition: "MachinePolicyResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/machinepolicies")
	}},
	{kind: "Machines", definition: "MachineResource", subtype: []string{"Endpoint.Host", "Endpoint.Port", "Endpoint.Fingerprint"}, get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/machines/"+f.machine(t, s))
	}},
	{kind: "Workers", definition: "WorkerResource", subtype: []string{"Endpoint.Uri", "Endpoint.Thumbprint"}, get: func(t *testing.T, s *Server, f *fixture) any {
		pool := field(firstOf(t, s, sp+"/workerpools"), "Id")
		return post(t, s, sp+"/workers", map[string]any{"Name": "Conformance Worker", "WorkerPoolIds": []string{pool},
			"Endpoint": map[string]any{"CommunicationStyle": "TentaclePassive", "Uri": "https://worker:10933/", "Thumbprint": "ABC"}})
	}},
	{kind: "Certificates", definition: "CertificateResource",
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/certificates/"+f.certificate(t, s))
		}},
	{definition: "CertificateUsageResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return get(t, s, sp+"/certificates/"+f.certificate(t, s)+"/usages")
	}},
	{kind: "Proxies", definition: "ProxyResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return post(t, s, sp+"/proxies", map[string]any{"Name": "Conformance Proxy", "Host": "proxy.example", "Port": 3128,
			"Username": "u", "Password": map[string]any{"HasValue": true, "NewValue": "proxy-secret"}})
	}},
	{kind: "GitCredentials", definition: "GitCredentialResource", subtype: []string{"Details.Username", "Details.Password"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return post(t, s, sp+"/git-credentials", map[string]any{"Name": "Conformance Git", "Details": map[string]any{
				"Type": "UsernamePassword", "Username": "git", "Password": map[string]any{"HasValue": true, "NewValue": "git-secret"}}})
		}},
	{definition: "GetGitCredentialUsageByIdResponse", get: func(t *testing.T, s *Server, f *fixture) any {
		list := get(t, s, sp+"/git-credentials").(map[string]any)["Items"].([]any)
		return get(t, s, sp+"/git-credentials/"+field(list[0], "Id")+"/usage")
	}},
	{kind: "DeploymentFreezes", definition: "DeploymentFreezeResource", items: map[string]string{"TenantProjectEnvironmentScope": "TenantProjectEnvironment"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return post(t, s, "/api/deploymentfreezes", map[string]any{"Name": "Conformance Freeze",
				"Start": "2030-12-24T00:00:00Z", "End": "2030-12-27T00:00:00Z",
				"ProjectEnvironmentScope":       map[string]any{f.project(t, s): []string{f.environment(t, s)}},
				"TenantProjectEnvironmentScope": []any{map[string]any{"TenantId": f.tenant(t, s), "ProjectId": f.project(t, s), "EnvironmentId": f.environment(t, s)}},
			})
		}},
	{definition: "GetDeploymentFreezesResponse", items: map[string]string{"DeploymentFreezes": "DeploymentFreezeResource"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, "/api/deploymentfreezes?skip=0&take=10")
		}},
	{kind: "SpaceDefaultRetentionPolicies", definition: "SpaceDefaultRetentionPolicyResource", subtype: []string{"Strategy", "QuantityToKeep", "Unit"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/retentionpolicies?retentionType=LifecycleRelease")
		}},
	{kind: "BuildInformation", definition: "OctopusPackageVersionBuildInformationMappedResource", items: map[string]string{"Commits": "CommitDetails"},
		get: func(t *testing.T, s *Server, f *fixture) any {
			return conformanceCall(t, s, http.MethodPost, sp+"/build-information", map[string]any{"PackageId": "conformance.app", "Version": "1.0.0",
				"OctopusBuildInformation": map[string]any{"Branch": "main", "BuildNumber": "42", "BuildUrl": "https://ci.example/42",
					"VcsType": "Git", "VcsRoot": "https://git.example/app.git", "VcsCommitNumber": "abc123",
					"Commits": []any{map[string]any{"Id": "abc123", "Comment": "Fix it"}}}}, http.StatusOK)
		}},
	{definition: "PackageResource", get: func(t *testing.T, s *Server, f *fixture) any {
		// The built-in releases feed holds the project's releases (the
		// Releases sample made 1.0.0).
		list, _ := get(t, s, sp+"/feeds/feeds-builtin-releases/packages?packageId="+f.project(t, s)).([]any)
		if len(list) != 1 {
			t.Fatalf("releases feed packages: %v", list)
		}
		return list[0]
	}},
	{definition: "PackageVersionResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/feeds/feeds-builtin-releases/packages/versions?packageId="+f.project(t, s))
	}},
	{definition: "PackageDescriptionResource", get: func(t *testing.T, s *Server, f *fixture) any {
		return firstOf(t, s, sp+"/feeds/feeds-builtin-releases/packages/search?term="+f.project(t, s))
	}},
	{definition: "ActionTemplateCategoryResource", get: func(t *testing.T, s *Server, f *fixture) any {
		list, _ := get(t, s, sp+"/actiontemplates/categories").([]any)
		return list[0]
	}},
	{definition: "ActionTemplateSearchResource", get: func(t *testing.T, s *Server, f *fixture) any {
		f.actionTemplate(t, s)
		list, _ := get(t, s, sp+"/actiontemplates/search").([]any)
		return list[len(list)-1]
	}},
}

func TestConformanceDocuments(t *testing.T) {
	t.Parallel()
	sw, _ := loadReference(t)
	s := newConformanceServer(t)
	f := &fixture{ids: map[string]string{}}
	covered := map[string]bool{}
	for _, smp := range samples {
		covered[smp.kind] = true
		name := smp.kind
		if name == "" {
			name = smp.definition
		}
		t.Run(name, func(t *testing.T) {
			doc := smp.get(t, s, f)
			checkDefinition(t, sw, smp.definition, withoutSubtype(doc, smp.subtype))
			m, _ := doc.(map[string]any)
			for prop, def := range smp.items {
				list, _ := m[prop].([]any)
				if len(list) == 0 {
					t.Errorf("%s: %s is empty; the sample should fill it", smp.definition, prop)
				}
				for _, item := range list {
					checkDefinition(t, sw, def, item)
				}
			}
		})
	}
	// Kinds without a sample are checked against "<ItemType>Resource" with
	// whatever their list holds after the samples ran (best effort: add a
	// sample to make sure a document is checked).
	for _, k := range kindsOrder {
		if covered[k.Name] {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			def := k.ItemType + "Resource"
			if _, ok := sw.Definitions[def]; !ok {
				t.Fatalf("kind %s has no sample and the swagger has no %s: add a sample naming its definition", k.Name, def)
			}
			if k.NoList {
				t.Skipf("kind %s has no sample and no list: not checked", k.Name)
			}
			path := "/api/" + k.Segment
			if k.Scope != SystemScoped {
				path = sp + "/" + k.Segment
			}
			list, _ := get(t, s, path).(map[string]any)["Items"].([]any)
			if len(list) == 0 {
				t.Skipf("kind %s has no sample and %s is empty: not checked", k.Name, path)
			}
			checkDefinition(t, sw, def, list[0])
		})
	}
}

// checkDefinition reports properties the definition does not have and
// required properties that are missing, following the definition's $refs
// into nested objects and arrays of objects.
func checkDefinition(t *testing.T, sw *swaggerDoc, definition string, doc any) {
	t.Helper()
	if _, ok := sw.Definitions[definition]; !ok {
		t.Fatalf("no swagger definition %s", definition)
	}
	if _, ok := doc.(map[string]any); !ok {
		t.Fatalf("%s: served %T, want an object", definition, doc)
	}
	for _, p := range definitionProblems(sw, definition, definition, doc, 0) {
		t.Error(p)
	}
}

// propertySchema is the part of a swagger property schema the check follows.
type propertySchema struct {
	Ref    string `json:"$ref"`
	Type   string `json:"type"`
	Format string `json:"format"`
	Enum   []any  `json:"enum"`
	Items  *struct {
		Ref string `json:"$ref"`
	} `json:"items"`
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/definitions/") }

func definitionProblems(sw *swaggerDoc, definition, path string, doc any, depth int) []string {
	if definition == "PropertyValueResource" {
		// The server writes a PropertyValueResource as a plain string or as
		// its SensitiveValue (the SDK's core.PropertyValue reads both), never
		// as the object the swagger describes.
		if _, ok := doc.(string); ok {
			return nil
		}
		definition = "SensitiveValue"
	}
	m, ok := doc.(map[string]any)
	def, known := sw.Definitions[definition]
	if !ok || !known || depth > 6 || len(def.Properties) == 0 {
		return nil
	}
	var problems, extra, missing []string
	for k, v := range m {
		raw, ok := def.Properties[k]
		if !ok {
			extra = append(extra, k)
			continue
		}
		if k == "Links" || v == nil {
			continue
		}
		var ps propertySchema
		if json.Unmarshal(raw, &ps) != nil {
			continue
		}
		if p := valueProblem(ps, v); p != "" {
			problems = append(problems, fmt.Sprintf("%s.%s (%s): %s", path, k, definition, p))
		}
		switch {
		case ps.Ref != "":
			problems = append(problems, definitionProblems(sw, refName(ps.Ref), path+"."+k, v, depth+1)...)
		case ps.Type == "array" && ps.Items != nil && ps.Items.Ref != "":
			list, _ := v.([]any)
			for i, item := range list {
				problems = append(problems, definitionProblems(sw, refName(ps.Items.Ref), path+"."+k+"["+strconv.Itoa(i)+"]", item, depth+1)...)
			}
		}
	}
	for _, r := range def.Required {
		if _, ok := m[r]; !ok {
			missing = append(missing, r)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%s (%s): properties the real resource does not have: %s", path, definition, strings.Join(extra, ", ")))
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%s (%s): required properties missing: %s", path, definition, strings.Join(missing, ", ")))
	}
	sort.Strings(problems)
	return problems
}

// valueProblem compares a served value with its property's swagger type:
// the real server's serializer writes null for an absent value, never a
// typed field's empty string ("" is not a date a client can parse). A
// number or boolean where the swagger says string is not reported: the
// swagger's generator types some properties as string that the server
// writes otherwise (DebugMode, ActionTemplateSearchResource.Version).
func valueProblem(ps propertySchema, v any) string {
	sv, isString := v.(string)
	switch ps.Type {
	case "string":
		if !isString || sv != "" {
			return ""
		}
		if ps.Format == "date-time" || ps.Format == "date" {
			return "served \"\" for a " + ps.Format + ": want null or a date"
		}
		if len(ps.Enum) > 0 {
			for _, e := range ps.Enum {
				if e == "" {
					return ""
				}
			}
			return "served \"\", which is not one of its values: want null"
		}
	case "integer", "number", "boolean", "array", "object":
		if isString {
			return fmt.Sprintf("served the string %q, want a value of type %s or null", sv, ps.Type)
		}
	}
	return ""
}
