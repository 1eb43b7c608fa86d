package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/demo"
	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/runbooks"
)

// promoteSourceKey is the source emulator's API key (the target's is the
// harness's), so that a leak of either is caught.
const promoteSourceKey = "API-PROMOTESOURCE0000000000000000"

// promotePair is a source emulator and the harness whose emulator is the
// target.
type promotePair struct {
	src *emulator.Server
	tgt *harness
}

func newPromotePair(t *testing.T, opts ...func(*emulator.Options)) *promotePair {
	t.Helper()
	src := emulatortest.New(t, append([]func(*emulator.Options){func(o *emulator.Options) { o.APIKey = promoteSourceKey }}, opts...)...)
	tgt := newHarness(t)
	tgt.secrets.Add(promoteSourceKey)
	return &promotePair{src: src, tgt: tgt}
}

// run runs a promote or diff command from the source to the target.
func (p *promotePair) run(t *testing.T, cmd string, args ...string) result {
	t.Helper()
	r := p.tgt.run(t, "", append([]string{cmd, "--from-server", p.src.URL(), "--from-api-key", p.src.APIKey()}, args...)...)
	if strings.Contains(r.stdout+r.stderr, p.src.APIKey()) {
		t.Errorf("the source's API key appears in the output of %s %q", cmd, args)
	}
	return r
}

// seedSource makes space "Hub" on srv: two environments, a lifecycle over
// them, a project group, and project "Web" in it whose process runs a
// script in Development only, with a variable scoped to Production and,
// when token is set, a sensitive variable ApiToken.
func seedSource(t *testing.T, srv *emulator.Server, token string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	post := func(label, path string, doc map[string]any) map[string]any {
		var got map[string]any
		emulatortest.Call(t, srv, http.MethodPost, path, doc, &got)
		ids[label] = got["Id"].(string)
		return got
	}
	sp := post("space", "/api/spaces", map[string]any{"Name": "Hub", "SpaceManagersTeamMembers": []any{"Users-1"}})
	base := "/api/" + sp["Id"].(string) + "/"
	ids["base"] = base
	post("Development", base+"environments", map[string]any{"Name": "Development", "Description": "dev"})
	post("Production", base+"environments", map[string]any{"Name": "Production", "UseGuidedFailure": true})
	post("lc", base+"lifecycles", map[string]any{"Name": "Dev to Prod", "Phases": []any{
		map[string]any{"Name": "Dev", "AutomaticDeploymentTargets": []any{ids["Development"]}},
		map[string]any{"Name": "Prod", "OptionalDeploymentTargets": []any{ids["Production"]}},
	}})
	post("pg", base+"projectgroups", map[string]any{"Name": "Apps"})
	p := post("Web", base+"projects", map[string]any{"Name": "Web", "ProjectGroupId": ids["pg"], "LifecycleId": ids["lc"], "Description": "the web app"})
	var proc map[string]any
	emulatortest.Call(t, srv, http.MethodGet, base+"deploymentprocesses/"+p["DeploymentProcessId"].(string), nil, &proc)
	proc["Steps"] = []any{map[string]any{"Name": "Hello", "Properties": map[string]any{}, "Actions": []any{map[string]any{
		"Name": "Hello", "ActionType": "Octopus.Script", "Environments": []any{ids["Development"]},
		"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo hello", "Octopus.Action.Script.Syntax": "Bash"},
	}}}}
	emulatortest.Call(t, srv, http.MethodPut, base+"deploymentprocesses/"+p["DeploymentProcessId"].(string), proc, nil)
	vsPath := base + "variables/" + p["VariableSetId"].(string)
	var vs map[string]any
	emulatortest.Call(t, srv, http.MethodGet, vsPath, nil, &vs)
	vars := []any{map[string]any{"Name": "Port", "Value": "8080", "Scope": map[string]any{"Environment": []any{ids["Production"]}}}}
	if token != "" {
		vars = append(vars, map[string]any{"Name": "ApiToken", "IsSensitive": true, "Value": token})
	}
	vs["Variables"] = vars
	emulatortest.Call(t, srv, http.MethodPut, vsPath, vs, nil)
	return ids
}

// promoteReport is the --output json document.
type promoteReport struct {
	Changes []struct {
		Action, Kind, Space, Name string
		Fields                    map[string][2]any
	}
	NeedsValue []string
	Applied    *bool
	Equal      *bool
}

func decodeReport(t *testing.T, r result) promoteReport {
	t.Helper()
	var rep promoteReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a json report: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

// TestPromoteConvergesAndDiff: a seeded space promoted into an empty target
// (dependencies first); diff then finds nothing; a second promote writes
// nothing; one change on the source is exactly one difference, which a dry
// run reports with exit 2 and writes nothing.
func TestPromoteConvergesAndDiff(t *testing.T) {
	t.Parallel()
	p := newPromotePair(t)
	ids := seedSource(t, p.src, "")

	r := p.run(t, "promote", "--space", "Hub")
	if r.code != exitOK {
		t.Fatalf("promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	order := []string{`+ create space "Hub"`, `+ create environment "Development" in space "Hub"`, `+ create lifecycle "Dev to Prod"`, `+ create project "Web"`, `~ update process "Web"`, "Apply complete:"}
	at := 0
	for _, want := range order {
		i := strings.Index(r.stdout[at:], want)
		if i < 0 {
			t.Fatalf("promote output lacks %q after offset %d (or out of order):\n%s", want, at, r.stdout)
		}
		at += i
	}
	if !strings.Contains(r.stdout, `Steps[0].Actions[0].Environments: null → ["Development"]`) && !strings.Contains(r.stdout, `Steps: null → `) {
		t.Errorf("the process change does not show its steps by name:\n%s", r.stdout)
	}

	if r := p.run(t, "diff", "--space", "Hub"); r.code != exitOK || !strings.Contains(r.stdout, "No differences.") {
		t.Fatalf("diff after promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	p.tgt.emu.ResetRequests()
	r = p.run(t, "promote", "--space", "Hub")
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("second promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := p.tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("second promote wrote %q", w)
	}

	var env map[string]any
	path := ids["base"] + "environments/" + ids["Production"]
	emulatortest.Call(t, p.src, http.MethodGet, path, nil, &env)
	env["Description"] = "prod"
	emulatortest.Call(t, p.src, http.MethodPut, path, env, nil)

	r = p.run(t, "diff", "--space", "Hub")
	if r.code != exitChanges || !strings.Contains(r.stdout, `~ differs environment "Production" in space "Hub"`) || !strings.Contains(r.stdout, `Description: "" → "prod"`) ||
		!strings.Contains(r.stdout, "0 only on the source, 1 differ, 0 only on the target") {
		t.Fatalf("diff after a change: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = p.run(t, "diff", "--space", "Hub", "--output", "json")
	rep := decodeReport(t, r)
	if r.code != exitChanges || len(rep.Changes) != 1 || rep.Changes[0].Kind != "environment" || rep.Equal == nil || *rep.Equal {
		t.Fatalf("diff json: exit %d, %+v", r.code, rep)
	}

	p.tgt.emu.ResetRequests()
	r = p.run(t, "promote", "--space", "Hub", "--dry-run", "--exit-code", "--output", "json")
	rep = decodeReport(t, r)
	if r.code != exitChanges || len(rep.Changes) != 1 || rep.Applied == nil || *rep.Applied {
		t.Fatalf("dry run: exit %d, %+v", r.code, rep)
	}
	if w := p.tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote %q", w)
	}
	if r := p.run(t, "promote", "--space", "Hub"); r.code != exitOK || !strings.Contains(r.stdout, "Apply complete: 0 created, 1 updated, 0 deleted.") {
		t.Fatalf("promote of the change: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "diff", "--all-spaces", "--include", "environment"); r.code != exitOK {
		t.Fatalf("diff --all-spaces after the second promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestPromoteSecrets: a sensitive variable the target lacks is named, and
// without --secrets apply writes nothing (exit 80); with --secrets (env:VAR)
// it is written, the value appears in no output, and the next run keeps the
// target's value without asking again.
func TestPromoteSecrets(t *testing.T) {
	// Not parallel: t.Setenv.
	const token = "tok-PROMOTE-s3cret-value"
	p := newPromotePair(t)
	seedSource(t, p.src, token)
	t.Setenv("PROMOTE_TEST_TOKEN", token)
	secrets := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(secrets, []byte("- kind: variable\n  owner: project:Web\n  name: ApiToken\n  value: env:PROMOTE_TEST_TOKEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noLeak := func(r result) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, token) {
			t.Errorf("the secret appears in the output:\n%s\n%s", r.stdout, r.stderr)
		}
	}

	r := p.run(t, "promote", "--space", "Hub")
	noLeak(r)
	slot := "Hub: variable project:Web ApiToken"
	if r.code != exitUsage || !strings.Contains(r.stdout, "! needs a value: "+slot) || !strings.Contains(r.stderr, slot) || !strings.Contains(r.stderr, "--secrets") {
		t.Fatalf("promote without secrets: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := p.tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("promote without secrets wrote %q", w)
	}

	r = p.run(t, "promote", "--space", "Hub", "--secrets", secrets, "--output", "json")
	noLeak(r)
	if rep := decodeReport(t, r); r.code != exitOK || len(rep.NeedsValue) != 0 || rep.Applied == nil || !*rep.Applied {
		t.Fatalf("promote with secrets: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var vars struct{ Variables []map[string]any }
	var projects []map[string]any
	base := "/api/" + p.tgt.spaceID(t, "Hub") + "/"
	emulatortest.Call(t, p.tgt.emu, http.MethodGet, base+"projects/all", nil, &projects)
	emulatortest.Call(t, p.tgt.emu, http.MethodGet, base+"variables/"+projects[0]["VariableSetId"].(string), nil, &vars)
	found := false
	for _, v := range vars.Variables {
		if v["Name"] == "ApiToken" && v["IsSensitive"] == true {
			found = true
		}
	}
	if !found {
		t.Fatalf("the target lacks the sensitive ApiToken: %+v", vars.Variables)
	}
	if body := emulatortest.Body(t, p.tgt.emu, base+"variables/"+projects[0]["VariableSetId"].(string)); strings.Contains(body, token) {
		t.Errorf("the target serves the secret")
	}

	p.tgt.emu.ResetRequests()
	r = p.run(t, "promote", "--space", "Hub")
	noLeak(r)
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") || len(p.tgt.emu.Writes()) != 0 {
		t.Fatalf("promote after the secret was given: exit %d, writes %q\n%s\n%s", r.code, p.tgt.emu.Writes(), r.stdout, r.stderr)
	}
}

// TestPromoteBadInput: bad flags and files exit 80 naming the flag or
// field, before any request to either instance.
func TestPromoteBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	badSecrets := write("bad-secrets.yaml", "- kind: variable\n  owner: Web\n  name: ApiToken\n")
	unknownKind := write("kind-secrets.yaml", "- kind: feeed\n  owner: Artifacts\n  name: Password\n  value: x\n")
	unsetEnv := write("env-secrets.yaml", "- kind: feed\n  owner: Artifacts\n  name: Password\n  value: env:PROMOTE_TEST_SURELY_UNSET\n")
	badOverlay := write("overlay.yaml", "- kind: feed\n  name: Artifacts\n")
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"promote", "--space", "Hub", "--include", "environment,nope"}, []string{"--include", `unknown kind "nope"`, "environment, lifecycle"}},
		{[]string{"diff", "--space", "Hub", "--include", "nope"}, []string{"--include", `unknown kind "nope"`}},
		{[]string{"promote", "--space", "Hub", "--rename", "environment:Dev"}, []string{"--rename", `"environment:Dev": want KIND:SOURCE=TARGET`}},
		{[]string{"promote", "--space", "Hub", "--rename", "nope:A=B"}, []string{"--rename", `unknown kind "nope"`}},
		{[]string{"promote", "--space", "Hub", "--exclude", "project"}, []string{"--exclude", "want KIND:NAME"}},
		{[]string{"promote", "--space", "Hub", "--secrets", badSecrets}, []string{"--secrets", "[0].owner: Does not match pattern", "[0].value: is required"}},
		{[]string{"promote", "--space", "Hub", "--secrets", unknownKind}, []string{"[0].kind", `unknown kind "feeed"`}},
		{[]string{"promote", "--space", "Hub", "--secrets", unsetEnv}, []string{"[0].value", "PROMOTE_TEST_SURELY_UNSET", "is not set"}},
		{[]string{"promote", "--space", "Hub", "--secrets", filepath.Join(dir, "missing.yaml")}, []string{"--secrets", "no such file"}},
		{[]string{"diff", "--space", "Hub", "--overlay", badOverlay}, []string{"--overlay", "[0].fields: is required"}},
		{[]string{"promote"}, []string{"--space NAME (repeatable) or --all-spaces"}},
		{[]string{"promote", "--space", "Hub", "--all-spaces"}, []string{"exclude each other"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			p := newPromotePair(t)
			r := p.run(t, tt.args[0], tt.args[1:]...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want 80\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			p.tgt.assertUntouched(t)
			if n := len(p.src.Requests()); n != 0 {
				t.Errorf("the source saw %d requests", n)
			}
		})
	}
	t.Run("no source", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if r := h.run(t, "", "promote", "--space", "Hub"); r.code != exitUsage || !strings.Contains(r.stderr, "--from-server") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		h.assertUntouched(t)
	})
}

// TestPromoteVersionSkew: a target older than the source is refused before
// anything is read or written, unless --allow-version-skew.
func TestPromoteVersionSkew(t *testing.T) {
	t.Parallel()
	p := newPromotePair(t, func(o *emulator.Options) { o.ServerVersion = "2026.2.100" })
	seedSource(t, p.src, "")
	r := p.run(t, "promote", "--space", "Hub")
	if r.code != exitFailure || !strings.Contains(r.stderr, "older than the source") || !strings.Contains(r.stderr, "--allow-version-skew") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := p.tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("a refused promote wrote %q", w)
	}
	if r := p.run(t, "promote", "--space", "Hub", "--allow-version-skew"); r.code != exitOK {
		t.Fatalf("allowed: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestPromoteHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, cmd := range []string{"promote", "diff"} {
		r := h.runRaw(t, "", cmd, "--help")
		for _, want := range []string{"--from-server=URL", "OCTOFLEET_FROM_API_KEY", "--all-spaces", "--include=KIND,...", "--exclude=KIND:NAME", "--rename=KIND:SRC=DST", "--overlay=FILE",
			"machines and workers", "releases, deployments, tasks and packages", "certificates (not copied: needs the file)", "environment, lifecycle",
			"account, machinepolicy", "projecttrigger, team, scopeduserrole", "Not carried yet: tenant variables"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s --help lacks %q:\n%s", cmd, want, r.stdout)
			}
		}
	}
	r := h.runRaw(t, "", "promote", "--help")
	for _, want := range []string{"--dry-run", "--exit-code", "--prune", "--secrets=FILE", "--allow-missing-secrets", "--allow-version-skew"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("promote --help lacks %q", want)
		}
	}
	h.assertUntouched(t)
}

// TestPromoteDemoHub: the demo's hub configuration (octofleet installed
// into "Fleet Hub", the demo's tenants registered, as `octofleet demo` sets
// it up before it runs the runbooks) promoted to a fresh instance; diff then
// exits 0 and a second promote writes nothing.
func TestPromoteDemoHub(t *testing.T) {
	t.Parallel()
	p := newPromotePair(t)
	hub := &harness{emu: p.src, secrets: p.tgt.secrets}
	pkg := smallPackage(t, "1.0.0", "#!/bin/sh\necho octofleet\n")
	if r := hub.run(t, "", "--space", demo.ManagementSpace, "install", "--package", pkg, "--environment", demo.Environment); r.code != exitOK {
		t.Fatalf("install: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, tn := range demo.Tenants {
		in, err := json.Marshal(map[string]any{"name": tn.Name, "tags": []string{tn.Tag}, "environments": []string{demo.Environment},
			"variables": map[string]string{runbooks.VarSpaceName: tn.Space, runbooks.VarInstanceURL: p.src.URL(), runbooks.VarInstanceAPIKey: p.src.APIKey()}})
		if err != nil {
			t.Fatal(err)
		}
		if r := hub.run(t, string(in), "--space", demo.ManagementSpace, "register-tenant", "--input", "-"); r.code != exitOK {
			t.Fatalf("register %s: exit %d\n%s\n%s", tn.Name, r.code, r.stdout, r.stderr)
		}
	}

	// The project's sensitive hub API key cannot be read from the source:
	// the target's own key, from a file.
	dir := t.TempDir()
	keyFile, secrets := filepath.Join(dir, "hub.key"), filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(keyFile, []byte(p.tgt.emu.APIKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secrets, []byte(`[{"kind": "variable", "owner": "project:octofleet", "name": "Octofleet.Hub.ApiKey", "value": "file:`+keyFile+`"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := p.run(t, "promote", "--space", demo.ManagementSpace, "--secrets", secrets)
	if r.code != exitOK {
		t.Fatalf("promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, tn := range demo.Tenants {
		if !strings.Contains(r.stdout, `+ create tenant "`+tn.Name+`"`) {
			t.Errorf("promote does not create tenant %q", tn.Name)
		}
	}
	if r := p.run(t, "diff", "--space", demo.ManagementSpace); r.code != exitOK {
		t.Fatalf("diff: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	p.tgt.emu.ResetRequests()
	if r := p.run(t, "promote", "--space", demo.ManagementSpace); r.code != exitOK || len(p.tgt.emu.Writes()) != 0 {
		t.Fatalf("second promote: exit %d, writes %q\n%s\n%s", r.code, p.tgt.emu.Writes(), r.stdout, r.stderr)
	}
}

// TestPromoteOverlayPruneSpaces: an overlay value is the target's own (the
// plan marks it, diff does not count it); a target-only document is
// reported by diff, kept by promote, deleted with --prune; --space is
// repeatable.
func TestPromoteOverlayPruneSpaces(t *testing.T) {
	t.Parallel()
	p := newPromotePair(t)
	seedSource(t, p.src, "")
	var other map[string]any
	emulatortest.Call(t, p.src, http.MethodPost, "/api/spaces", map[string]any{"Name": "Other", "SpaceManagersTeamMembers": []any{"Users-1"}}, &other)
	overlay := filepath.Join(t.TempDir(), "overlay.yaml")
	if err := os.WriteFile(overlay, []byte("- kind: variable\n  owner: project:Web\n  name: Port\n  value: \"9090\"\n- space: Hub\n  kind: environment\n  name: Development\n  fields:\n    Description: the target's own\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := p.run(t, "promote", "--space", "Hub", "--space=Other", "--overlay", overlay)
	if r.code != exitOK || !strings.Contains(r.stdout, `+ create space "Other"`) || !strings.Contains(r.stdout, "Variables[Port]: set by the overlay") ||
		!strings.Contains(r.stdout, "Description: set by the overlay") {
		t.Fatalf("promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	base := "/api/" + p.tgt.spaceID(t, "Hub") + "/"
	var envs []map[string]any
	emulatortest.Call(t, p.tgt.emu, http.MethodGet, base+"environments/all", nil, &envs)
	for _, e := range envs {
		if e["Name"] == "Development" && e["Description"] != "the target's own" {
			t.Errorf("Development's description is %q, want the overlay's", e["Description"])
		}
	}
	if r := p.run(t, "diff", "--space", "Hub", "--space", "Other", "--overlay", overlay); r.code != exitOK {
		t.Fatalf("diff with the overlay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "diff", "--space", "Hub"); r.code != exitChanges || !strings.Contains(r.stdout, `~ differs environment "Development"`) {
		t.Fatalf("diff without the overlay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	emulatortest.Call(t, p.tgt.emu, http.MethodPost, base+"environments", map[string]any{"Name": "Sandbox"}, nil)
	r = p.run(t, "diff", "--space", "Hub", "--overlay", overlay)
	if r.code != exitChanges || !strings.Contains(r.stdout, `- only on the target environment "Sandbox" in space "Hub"`) {
		t.Fatalf("diff with a target-only environment: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "promote", "--space", "Hub", "--overlay", overlay); r.code != exitOK || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("promote without --prune: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = p.run(t, "promote", "--space", "Hub", "--overlay", overlay, "--prune")
	if r.code != exitOK || !strings.Contains(r.stdout, `- delete environment "Sandbox"`) || !strings.Contains(r.stdout, "Apply complete: 0 created, 0 updated, 1 deleted.") {
		t.Fatalf("promote --prune: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "diff", "--space", "Hub", "--overlay", overlay); r.code != exitOK {
		t.Fatalf("diff after the prune: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestPromoteFailedHalfWayConverges: a promote that fails half-way (the
// project's create answered 500, no retries) leaves what it wrote; the
// re-run finishes it without duplicates and diff then exits 0.
func TestPromoteFailedHalfWayConverges(t *testing.T) {
	t.Parallel()
	p := newPromotePair(t)
	seedSource(t, p.src, "")
	// The target's first new space is Spaces-2 (Default is Spaces-1).
	p.tgt.emu.FailNext(http.MethodPost, "/api/Spaces-2/projects", http.StatusInternalServerError, 1)
	r := p.tgt.run(t, "", "--retries", "0", "promote", "--from-server", p.src.URL(), "--from-api-key", p.src.APIKey(), "--space", "Hub")
	if r.code != exitFailure || !strings.Contains(r.stderr, `create project "Web"`) {
		t.Fatalf("promote with a failing create: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "promote", "--space", "Hub"); r.code != exitOK {
		t.Fatalf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.run(t, "diff", "--space", "Hub"); r.code != exitOK {
		t.Fatalf("diff after the re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := namesOnce(t, p.tgt, "/api/Spaces-2/projects/all"); n != 1 {
		t.Errorf("%d projects on the target, want 1", n)
	}
}

// TestPromoteAsStepTemplate runs promote and diff the way their step
// templates do: the selection from an --input document, the source's key
// and the secrets document from the environment (OCTOFLEET_FROM_API_KEY,
// OCTOFLEET_PROMOTE_SECRETS), the step flags every template passes, and
// --output octopus setting the output variables.
func TestPromoteAsStepTemplate(t *testing.T) {
	// Not parallel: t.Setenv.
	const token = "tok-STEP-s3cret-value"
	p := newPromotePair(t)
	seedSource(t, p.src, token)
	dir := t.TempDir()
	input := filepath.Join(dir, "input.json")
	if err := os.WriteFile(input, []byte(`{"fromServer": "`+p.src.URL()+`", "spaces": ["Hub"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OCTOFLEET_FROM_API_KEY", p.src.APIKey())
	t.Setenv("OCTOFLEET_PROMOTE_SECRETS", "- kind: variable\n  owner: project:Web\n  name: ApiToken\n  value: "+token+"\n")
	step := func(cmd string) result {
		t.Helper()
		r := p.tgt.run(t, "", cmd, "--output", "octopus", "--tenant-name", "", "--log-level", "info", "--input", input)
		if strings.Contains(r.stdout+r.stderr, token) || strings.Contains(r.stdout+r.stderr, p.src.APIKey()) {
			t.Errorf("%s printed a secret:\n%s\n%s", cmd, r.stdout, r.stderr)
		}
		return r
	}
	r := step("promote")
	if r.code != exitOK || !strings.Contains(r.stdout, serviceMessage("Applied", "True")) || strings.Contains(r.stdout, serviceMessage("Changes", "0")) {
		t.Fatalf("promote step: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = step("diff")
	if r.code != exitOK || !strings.Contains(r.stdout, serviceMessage("Equal", "True")) || !strings.Contains(r.stdout, serviceMessage("Differences", "0")) {
		t.Fatalf("diff step after promote: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	p.tgt.emu.ResetRequests()
	r = step("promote")
	if r.code != exitOK || !strings.Contains(r.stdout, serviceMessage("Changes", "0")) || len(p.tgt.emu.Writes()) != 0 {
		t.Fatalf("second promote step: exit %d, writes %q\n%s\n%s", r.code, p.tgt.emu.Writes(), r.stdout, r.stderr)
	}
	// A flag wins over the document; a bad document names its field.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"fromServer": "`+p.src.URL()+`", "spaces": [], "secrets": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = p.tgt.run(t, "", "promote", "--input", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, "secrets: is not allowed") || !strings.Contains(r.stderr, "spaces: Array must have at least 1 items") {
		t.Fatalf("bad input document: exit %d\n%s", r.code, r.stderr)
	}
}
