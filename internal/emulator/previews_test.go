package emulator_test

import (
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestPreviews(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s, map[string]any{"Name": "Reason", "Value": "", "Prompt": map[string]any{"Label": "Why?", "Required": true}})
	dev := str(must(t, do(t, s, "POST", w.sp+"/environments", map[string]any{"Name": "Dev"}), 201).Body, "Id")
	proc := must(t, do(t, s, "GET", w.sp+"/projects/"+w.project+"/deploymentprocesses", nil), 200).Body
	proc["Steps"] = []any{
		step("Everywhere", "", script("Everywhere", "echo 1")),
		step("Dev only", "", script("Dev only", "echo 2", func(a map[string]any) { a["Environments"] = []any{dev} })),
		step("Off", "", script("Off", "echo 3", func(a map[string]any) { a["IsDisabled"] = true })),
	}
	must(t, do(t, s, "PUT", w.sp+"/projects/"+w.project+"/deploymentprocesses", proc), 200)
	rel := str(must(t, do(t, s, "POST", w.sp+"/releases", map[string]any{"ProjectId": w.project, "Version": "1.0.0"}), 201).Body, "Id")

	names := func(preview map[string]any) []string {
		var out []string
		for _, x := range toAnyList(preview["StepsToExecute"]) {
			out = append(out, str(x.(map[string]any), "ActionName"))
		}
		return out
	}
	p := must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/deployments/preview/"+w.env, nil), 200).Body
	if got := names(p); len(got) != 1 || got[0] != "Everywhere" {
		t.Errorf("production preview runs %v", got)
	}
	form := p["Form"].(map[string]any)
	if els := toAnyList(form["Elements"]); len(els) != 1 || els[0].(map[string]any)["IsValueRequired"] != true {
		t.Errorf("prompted form %v", form)
	}
	p = must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/deployments/preview/"+dev+"?includeDisabledSteps=true", nil), 200).Body
	if got := names(p); len(got) != 3 {
		t.Errorf("dev preview with disabled steps runs %v", got)
	}
	must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/deployments/preview/"+w.env+"/"+w.tenant, nil), 200)
	must(t, do(t, s, "GET", w.sp+"/releases/"+rel+"/deployments/preview/Environments-999", nil), 404)

	rb := w.runbook(t, s, "Ops", step("Greet", "", script("Greet", "echo hi")))
	rp := must(t, do(t, s, "GET", w.sp+"/runbooks/"+rb+"/runbookRuns/preview/"+w.env+"/"+w.tenant, nil), 200).Body
	if got := names(rp); len(got) != 1 || got[0] != "Greet" {
		t.Errorf("runbook preview runs %v", got)
	}
	runbook := must(t, do(t, s, "GET", w.sp+"/runbooks/"+rb, nil), 200).Body
	snap := str(runbook, "PublishedRunbookSnapshotId")
	must(t, do(t, s, "GET", w.sp+"/runbookSnapshots/"+snap+"/runbookRuns/preview/"+w.env, nil), 200)
	tpl := must(t, do(t, s, "GET", w.sp+"/runbookSnapshots/"+snap+"/runbookRuns/template", nil), 200).Body
	if n := len(toAnyList(tpl["PromoteTo"])); n != 2 {
		t.Errorf("the snapshot runs untenanted in %d environments, want 2", n)
	}
	if rt := must(t, do(t, s, "GET", w.sp+"/runbooks/"+rb+"/runbookRunTemplate", nil), 200).Body; len(toAnyList(rt["PromoteTo"])) != 2 {
		t.Errorf("runbook run template %v", rt)
	}
	finished(t, s, w.run(t, s, rb, false))
	if runs := items(t, must(t, do(t, s, "GET", w.sp+"/runbookSnapshots/"+snap+"/runbookRuns", nil), 200)); len(runs) != 1 {
		t.Errorf("the snapshot's runs %v", runs)
	}
	tps := toAnyList(tpl["TenantPromotions"])
	if len(tps) != 1 || len(toAnyList(tps[0].(map[string]any)["PromoteTo"])) != 1 {
		t.Errorf("tenant promotions %v", tps)
	}
}
