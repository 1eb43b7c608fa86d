package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// TestInstallPromotion: --promotion keeps the project "octofleet
// promotion": its lifecycle Development -> Test -> Production (the
// environments created), a deployment process running the Promote step
// template in the environments that have a target, and the target URLs and
// keys as variables scoped to their environments, the keys sensitive and
// never printed. A re-run writes nothing; a changed target URL is one
// variable update; a key is kept unless --rotate-secrets.
func TestInstallPromotion(t *testing.T) {
	// Not parallel: t.Setenv.
	const testKey, prodKey = "API-PROMOTIONTEST000000000000000", "API-PROMOTIONPROD000000000000000"
	h := newHarness(t)
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(keys, []byte("Production: env:PROD_KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PROD_KEY", prodKey)
	t.Setenv("OCTOFLEET_PROMOTION_API_KEY_TEST", testKey)
	args := func(extra ...string) []string {
		return append([]string{"--space", "Fleet Hub", "install", "--no-package", "--promotion",
			"--promotion-target", "Test=https://test.octopus.example.com", "--promotion-keys", keys,
			"--promotion-space", "Fleet Hub"}, extra...)
	}
	install := func(extra ...string) result {
		t.Helper()
		r := h.run(t, "", args(extra...)...)
		if r.code != 0 {
			t.Fatalf("install --promotion %q: exit %d\n%s\n%s", extra, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, testKey) || strings.Contains(r.stdout+r.stderr, prodKey) {
			t.Errorf("install printed a target's key:\n%s\n%s", r.stdout, r.stderr)
		}
		return r
	}
	r := install("--promotion-target", "Production=https://prod.octopus.example.com")
	for _, want := range []string{`create project "` + steps.PromotionProject + `"`, `create deployment process "` + steps.PromotionProject + `"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("install does not say %q:\n%s", want, r.stdout)
		}
	}

	base := "/api/" + h.spaceID(t, "Fleet Hub") + "/"
	var envs []map[string]any
	emulatortest.Call(t, h.emu, http.MethodGet, base+"environments/all", nil, &envs)
	envID := map[string]string{}
	for _, e := range envs {
		envID[e["Name"].(string)] = e["Id"].(string)
	}
	var lcs []map[string]any
	emulatortest.Call(t, h.emu, http.MethodGet, base+"lifecycles/all", nil, &lcs)
	var lc map[string]any
	for _, l := range lcs {
		if l["Name"] == steps.PromotionLifecycle {
			lc = l
		}
	}
	if lc == nil {
		t.Fatalf("no lifecycle %q", steps.PromotionLifecycle)
	}
	var phases []string
	for i, ph := range lc["Phases"].([]any) {
		p := ph.(map[string]any)
		targets := p["OptionalDeploymentTargets"].([]any)
		if len(targets) != 1 || targets[0] != envID[steps.PromotionEnvironments[i]] {
			t.Errorf("phase %v deploys to %v, want %s", p["Name"], targets, steps.PromotionEnvironments[i])
		}
		phases = append(phases, p["Name"].(string))
	}
	if got := strings.Join(phases, " -> "); got != "Development -> Test -> Production" {
		t.Errorf("phases = %s", got)
	}

	var projects []map[string]any
	emulatortest.Call(t, h.emu, http.MethodGet, base+"projects/all", nil, &projects)
	var project map[string]any
	for _, p := range projects {
		if p["Name"] == steps.PromotionProject {
			project = p
		}
	}
	if project == nil || project["LifecycleId"] != lc["Id"] {
		t.Fatalf("project %q = %v, want it on lifecycle %v", steps.PromotionProject, project, lc["Id"])
	}
	var proc map[string]any
	emulatortest.Call(t, h.emu, http.MethodGet, base+"deploymentprocesses/"+project["DeploymentProcessId"].(string), nil, &proc)
	var templates []map[string]any
	emulatortest.Call(t, h.emu, http.MethodGet, base+"actiontemplates/all", nil, &templates)
	var promoteTemplate string
	for _, tpl := range templates {
		if tpl["Name"] == runbooks.TemplateName("promote") {
			promoteTemplate = tpl["Id"].(string)
		}
	}
	stepsList := proc["Steps"].([]any)
	if len(stepsList) != 1 {
		t.Fatalf("process steps = %v", stepsList)
	}
	action := stepsList[0].(map[string]any)["Actions"].([]any)[0].(map[string]any)
	props := action["Properties"].(map[string]any)
	if props["Octopus.Action.Template.Id"] != promoteTemplate || promoteTemplate == "" || props[runbooks.ParamServer] != "#{"+steps.VarPromotionTargetURL+"}" ||
		props[runbooks.ParamFromServer] != "#{"+steps.VarPromotionSourceURL+"}" {
		t.Errorf("action properties = %v, want the Promote template pointed at the promotion variables", props)
	}
	if got := action["Environments"].([]any); len(got) != 2 || !(containsAny(got, envID["Test"]) && containsAny(got, envID["Production"])) {
		t.Errorf("action environments = %v, want Test and Production (%s, %s)", got, envID["Test"], envID["Production"])
	}

	vsPath := base + "variables/" + project["VariableSetId"].(string)
	var vs struct{ Variables []map[string]any }
	emulatortest.Call(t, h.emu, http.MethodGet, vsPath, nil, &vs)
	got := map[string]map[string]any{}
	for _, v := range vs.Variables {
		scope, _ := v["Scope"].(map[string]any)
		env := ""
		if l, ok := scope["Environment"].([]any); ok && len(l) == 1 {
			env = l[0].(string)
		}
		got[v["Name"].(string)+"@"+env] = v
	}
	for name, want := range map[string]string{
		steps.VarPromotionTargetURL + "@" + envID["Test"]:       "https://test.octopus.example.com",
		steps.VarPromotionTargetURL + "@" + envID["Production"]: "https://prod.octopus.example.com",
		steps.VarPromotionSourceURL + "@":                       steps.ThisServer,
		steps.VarPromotionInput + "@":                           `{"spaces": ["Fleet Hub"]}`,
	} {
		if v := got[name]; v == nil || v["Value"] != want || v["IsSensitive"] == true {
			t.Errorf("variable %s = %v, want %q", name, v, want)
		}
	}
	for _, name := range []string{steps.VarPromotionTargetAPIKey + "@" + envID["Test"], steps.VarPromotionTargetAPIKey + "@" + envID["Production"], steps.VarPromotionSourceAPIKey + "@"} {
		if v := got[name]; v == nil || v["IsSensitive"] != true || v["Value"] != nil {
			t.Errorf("variable %s = %v, want a sensitive value", name, v)
		}
	}
	if body := emulatortest.Body(t, h.emu, vsPath); strings.Contains(body, testKey) || strings.Contains(body, prodKey) {
		t.Error("the server serves a target key")
	}

	// Converged: a re-run writes nothing (the keys are held: kept).
	h.emu.ResetRequests()
	install("--promotion-target", "Production=https://prod.octopus.example.com")
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("second install --promotion wrote %q", w)
	}
	// One URL changed: one variable set update.
	h.emu.ResetRequests()
	r = install("--promotion-target", "Production=https://prod2.octopus.example.com")
	if w := h.emu.Writes(); len(w) != 1 || !strings.Contains(w[0], "variables/") {
		t.Fatalf("changed target wrote %q, want one variable set update\n%s", w, r.stdout)
	}
	h.emu.ResetRequests()
	install("--promotion-target", "Production=https://prod2.octopus.example.com")
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("install after the change wrote %q", w)
	}
}

func containsAny(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInstallPromotionBadFlags: bad promotion flags exit 80 naming the
// flag, before any request.
func TestInstallPromotionBadFlags(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--promotion"}, "--promotion-target"},
		{[]string{"--promotion-target", "Test=https://t.example.com"}, "needs --promotion"},
		{[]string{"--promotion", "--promotion-target", "Staging=https://t.example.com"}, `environment "Staging" is not one of`},
		{[]string{"--promotion", "--promotion-target", "Test"}, "want ENV=URL"},
		{[]string{"--promotion", "--promotion-target", "Test=ftp://x"}, "is not an http(s) URL"},
		{[]string{"--promotion", "--promotion-target", "Test=https://a.example.com", "--promotion-target", "Test=https://b.example.com"}, "two targets"},
		{[]string{"--promotion", "--promotion-target", "Test=https://a.example.com"}, "no API key for the promotion target of Test"},
	} {
		r := h.runRaw(t, "", append([]string{"--server", h.emu.URL(), "--api-key", h.emu.APIKey(), "--space", "Fleet Hub", "install", "--no-package"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("install %q: exit %d, want 80 and %q\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("bad flags wrote %q", w)
	}
}
