package emulator_test

import (
	"os"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// phased gives the world's project a lifecycle Dev (required) -> Test
// (optional) -> Production and a deployment process running script, and
// returns the environment IDs by name and a release.
func phased(t *testing.T, s *emulator.Server, w world, body string) (envs map[string]string, release string) {
	t.Helper()
	envs = map[string]string{"Production": w.env}
	for _, n := range []string{"Dev", "Test"} {
		envs[n] = str(must(t, do(t, s, "POST", w.sp+"/environments", map[string]any{"Name": n}), 201).Body, "Id")
	}
	lc := must(t, do(t, s, "POST", w.sp+"/lifecycles", map[string]any{"Name": "Phased", "Phases": []any{
		map[string]any{"Name": "Dev", "AutomaticDeploymentTargets": []any{envs["Dev"]}},
		map[string]any{"Name": "Test", "OptionalDeploymentTargets": []any{envs["Test"]}, "IsOptionalPhase": true},
		map[string]any{"Name": "Production", "OptionalDeploymentTargets": []any{envs["Production"]}},
	}}), 201).Body
	p := must(t, do(t, s, "GET", w.sp+"/projects/"+w.project, nil), 200).Body
	p["LifecycleId"] = str(lc, "Id")
	must(t, do(t, s, "PUT", w.sp+"/projects/"+w.project, p), 200)
	// The default channel follows the project's lifecycle.
	proc := must(t, do(t, s, "GET", w.sp+"/projects/"+w.project+"/deploymentprocesses", nil), 200).Body
	proc["Steps"] = []any{step("Deploy", "", script("Deploy", body))}
	must(t, do(t, s, "PUT", w.sp+"/projects/"+w.project+"/deploymentprocesses", proc), 200)
	rel := must(t, do(t, s, "POST", w.sp+"/releases", map[string]any{"ProjectId": w.project, "Version": "1.0.0"}), 201).Body
	return envs, str(rel, "Id")
}

func deploy(t *testing.T, s *emulator.Server, w world, release, env, tenant string) response {
	t.Helper()
	body := map[string]any{"ReleaseId": release, "EnvironmentId": env}
	if tenant != "" {
		body["TenantId"] = tenant
	}
	return do(t, s, "POST", w.sp+"/deployments", body)
}

func TestLifecyclePhaseOrder(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	marker := t.TempDir() + "/fail"
	envs, rel := phased(t, s, w, `if [ -e "`+marker+`" ]; then exit 3; fi; echo deployed`)

	// Where the release may go: Dev only; Acme (connected to Production
	// only) skips Dev.
	template := func() (untenanted []string, acme []string) {
		tpl := must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/deployments/template", nil), 200).Body
		for _, x := range toAnyList(tpl["PromoteTo"]) {
			untenanted = append(untenanted, str(x.(map[string]any), "Name"))
		}
		for _, x := range toAnyList(tpl["TenantPromotions"]) {
			tp := x.(map[string]any)
			if str(tp, "Id") == w.tenant {
				for _, y := range toAnyList(tp["PromoteTo"]) {
					acme = append(acme, str(y.(map[string]any), "Name"))
				}
			}
		}
		return untenanted, acme
	}
	if u, a := template(); strings.Join(u, ",") != "Dev" || strings.Join(a, ",") != "Production" {
		t.Errorf("promote to %v, Acme to %v; want [Dev] and [Production]", u, a)
	}

	// Production before the required Dev phase: refused, nothing started.
	r := must(t, deploy(t, s, w, rel, envs["Production"], ""), 400)
	if msg := errorsOf(r); msg != "The release has not been deployed to the required environments before it can be promoted to this environment. Check the lifecycle associated with this project's deployment process." ||
		str(r.Body, "ErrorMessage") != "There was a problem with your request." {
		t.Errorf("refusal %q", msg)
	}
	if n := len(items(t, must(t, do(t, s, "GET", "/api/tasks", nil), 200))); n != 0 {
		t.Errorf("%d tasks after a refused deployment", n)
	}
	// An environment outside the lifecycle is refused too.
	other := str(must(t, do(t, s, "POST", w.sp+"/environments", map[string]any{"Name": "Elsewhere"}), 201).Body, "Id")
	must(t, deploy(t, s, w, rel, other, ""), 400)

	// A failed Dev deployment does not unlock the next phase.
	mustWrite(t, marker)
	if task := finished(t, s, str(must(t, deploy(t, s, w, rel, envs["Dev"], ""), 201).Body, "TaskId")); task["State"] != "Failed" {
		t.Fatalf("dev deployment %v", task["State"])
	}
	must(t, deploy(t, s, w, rel, envs["Production"], ""), 400)
	// A successful one does; the optional Test phase is skipped over.
	mustRemove(t, marker)
	if task := finished(t, s, str(must(t, deploy(t, s, w, rel, envs["Dev"], ""), 201).Body, "TaskId")); task["State"] != "Success" {
		t.Fatalf("dev deployment %v", task["State"])
	}
	if u, _ := template(); strings.Join(u, ",") != "Dev,Test,Production" {
		t.Errorf("promote to %v after Dev, want [Dev Test Production]", u)
	}
	prog := must(t, do(t, s, "GET", w.sp+"/progression/"+w.project, nil), 200).Body
	releases := toAnyList(prog["Releases"])
	if len(releases) != 1 || len(toAnyList(prog["Environments"])) != 3 {
		t.Fatalf("progression %s", must(t, do(t, s, "GET", w.sp+"/progression/"+w.project, nil), 200).Raw)
	}
	r0 := releases[0].(map[string]any)
	if next := toAnyList(r0["NextDeployments"]); len(next) != 2 || next[0] != envs["Test"] || next[1] != envs["Production"] {
		t.Errorf("next deployments %v", next)
	}
	if devDeps := toAnyList(r0["Deployments"].(map[string]any)[envs["Dev"]]); len(devDeps) != 2 ||
		devDeps[0].(map[string]any)["State"] != "Success" || devDeps[1].(map[string]any)["State"] != "Failed" {
		t.Errorf("Dev deployments %v", devDeps)
	}
	lp := must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/progression", nil), 200).Body
	var progress []string
	for _, x := range toAnyList(lp["Phases"]) {
		progress = append(progress, str(x.(map[string]any), "Name")+":"+str(x.(map[string]any), "Progress"))
	}
	if got := strings.Join(progress, " "); got != "Dev:Complete Test:Pending Production:Current" {
		t.Errorf("phases %s", got)
	}
	if devPhase := toAnyList(lp["Phases"])[0].(map[string]any); len(toAnyList(devPhase["Deployments"])) != 2 {
		t.Errorf("Dev phase deployments %v", devPhase["Deployments"])
	}
	prod := must(t, deploy(t, s, w, rel, envs["Production"], ""), 201).Body
	finished(t, s, str(prod, "TaskId"))

	// Tenants progress on their own: Acme (connected to Production only) is
	// not held back by Dev; Beta, connected to Dev and Production, is until
	// its own Dev deployment succeeds.
	beta := str(must(t, do(t, s, "POST", w.sp+"/tenants", map[string]any{"Name": "Beta",
		"ProjectEnvironments": map[string]any{w.project: []any{envs["Dev"], envs["Production"]}}}), 201).Body, "Id")
	finished(t, s, str(must(t, deploy(t, s, w, rel, envs["Production"], w.tenant), 201).Body, "TaskId"))
	r = must(t, deploy(t, s, w, rel, envs["Production"], beta), 400)
	if !strings.Contains(errorsOf(r), "before it can be promoted to this environment") {
		t.Errorf("tenant refusal %q", errorsOf(r))
	}
	finished(t, s, str(must(t, deploy(t, s, w, rel, envs["Dev"], beta), 201).Body, "TaskId"))
	finished(t, s, str(must(t, deploy(t, s, w, rel, envs["Production"], beta), 201).Body, "TaskId"))
	// The command form answers the same way.
	must(t, do(t, s, "POST", w.sp+"/releases", map[string]any{"ProjectId": w.project, "Version": "2.0.0"}), 201)
	must(t, do(t, s, "POST", w.sp+"/deployments/create/untenanted/v1", map[string]any{
		"projectName": "Fleet", "releaseVersion": "2.0.0", "environmentNames": []any{"Production"}}), 400)
}

func mustWrite(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// errorsOf joins the Errors of an Octopus error body.
func errorsOf(r response) string {
	var out []string
	for _, e := range toAnyList(r.Body["Errors"]) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

func toAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}
