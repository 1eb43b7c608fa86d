package steps_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// The secrets the tests supply. None of them may ever show up in a plan, an
// error, an output or a backup.
var suppliedSecrets = map[string]string{
	"authentication-aad.ClientSecret":                                    "aad-SUPPLIED-secret-1",
	"authentication-ldap.ConnectPassword":                                "ldap-SUPPLIED-secret-2",
	"smtp.Details.SmtpPassword":                                          "smtp-SUPPLIED-secret-3",
	"audit-stream.StreamConfigurationResource.SplunkEventCollectorToken": "hec-SUPPLIED-secret-4",
	"subscriptions/Default/Deploys.WebhookHeaderValue":                   "hook-SUPPLIED-secret-5",
}

// sourceSecrets are the secrets set on the source instance.
var sourceSecrets = []string{"aad-SOURCE-secret", "ldap-SOURCE-secret", "smtp-SOURCE-secret", "hec-SOURCE-token", "hook-SOURCE-secret"}

// pair is a source and a target instance. The target has extra objects made
// first, so the same names carry different IDs on the two instances.
type pair struct {
	src, tgt *fixture
	backup   string
}

func newPair(t testing.TB) *pair {
	t.Helper()
	p := &pair{src: newFixture(t), tgt: newFixture(t), backup: t.TempDir()}
	// Shift the target's IDs.
	for _, n := range []string{"Dummy 1", "Dummy 2"} {
		p.tgt.raw(t, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": n}, nil)
		p.tgt.raw(t, http.MethodPost, "/api/Spaces-1/projectgroups", map[string]any{"Name": n}, nil)
		p.tgt.raw(t, http.MethodPost, "/api/Spaces-1/tenants", map[string]any{"Name": n}, nil)
		p.tgt.raw(t, http.MethodPost, "/api/teams", map[string]any{"Name": n, "MemberUserIds": []string{}}, nil)
	}
	// alice gets a new ID on the target.
	p.tgt.raw(t, http.MethodDelete, "/api/users/"+p.tgt.userID(t, "alice"), nil, nil)
	if _, _, err := p.tgt.emu.CreateUser("alice", "Alice"); err != nil {
		t.Fatal(err)
	}
	project := func(f *fixture, name string) {
		f.raw(t, http.MethodPost, "/api/Spaces-1/projects", map[string]any{"Name": name,
			"ProjectGroupId": f.find("Spaces-1", "projectgroups", "Default Project Group"),
			"LifecycleId":    f.find("Spaces-1", "lifecycles", "Default Lifecycle")}, nil)
	}
	project(p.tgt, "Dummy")
	for _, f := range []*fixture{p.src, p.tgt} {
		f.raw(t, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Production"}, nil)
		f.raw(t, http.MethodPost, "/api/Spaces-1/projectgroups", map[string]any{"Name": "Web"}, nil)
		f.raw(t, http.MethodPost, "/api/Spaces-1/tenants", map[string]any{"Name": "Acme"}, nil)
		project(f, "Shop")
	}
	p.seedSource(t)
	p.src.emu.ResetRequests()
	p.tgt.emu.ResetRequests()
	return p
}

// seedSource configures every setting group on the source.
func (p *pair) seedSource(t testing.TB) {
	t.Helper()
	s := p.src
	secret := func(v string) map[string]any { return map[string]any{"HasValue": true, "NewValue": v} }
	s.edit(t, "/api/configuration/authentication-aad/values", func(d map[string]any) {
		d["IsEnabled"], d["Issuer"], d["ClientId"], d["ClientSecret"] = true, "https://login.microsoftonline.com/tenant/v2.0", "aad-client", secret(sourceSecrets[0])
	})
	s.edit(t, "/api/configuration/authentication-ldap/values", func(d map[string]any) {
		d["IsEnabled"], d["Server"], d["ConnectUsername"], d["ConnectPassword"] = true, "ldap.example.com", "cn=octopus", secret(sourceSecrets[1])
	})
	s.edit(t, "/api/configuration/authentication/values", func(d map[string]any) {
		d["SessionTimeoutInSeconds"] = 3600
		d["TrustedRedirectUrls"] = []string{"https://portal.example.com"}
	})
	s.edit(t, "/api/configuration/webportal/values", func(d map[string]any) {
		d["Security"].(map[string]any)["CorsWhitelist"] = "https://portal.example.com"
		d["Security"].(map[string]any)["HttpStrictTransportSecurityEnabled"] = true
	})
	s.edit(t, "/api/smtpconfiguration", func(d map[string]any) {
		d["SmtpHost"], d["SmtpPort"], d["SendEmailFrom"], d["EnableSsl"] = "smtp.example.com", 587, "octopus@example.com", true
		d["Details"] = map[string]any{"CredentialType": "UsernamePassword", "SmtpLogin": "mailer", "SmtpPassword": secret(sourceSecrets[2])}
	})
	s.raw(t, http.MethodPut, "/api/audit-stream", map[string]any{"Active": true, "Description": "Splunk",
		"StreamConfigurationResource": map[string]any{"SplunkEndpoint": "https://splunk.example.com:8088", "SplunkEventCollectorToken": sourceSecrets[3]}}, nil)
	s.raw(t, http.MethodPut, "/api/configuration/retention-default", map[string]any{"RetentionDays": 7}, nil)
	s.edit(t, "/api/configuration/eventretention/values", func(d map[string]any) { d["EventRetentionDays"] = 365 })

	var role map[string]any
	s.raw(t, http.MethodPost, "/api/userroles", map[string]any{"Name": "Release approver", "Description": "Approves releases",
		"GrantedSpacePermissions": []string{"ProjectView", "ReleaseView", "InterruptionSubmit"}, "GrantedSystemPermissions": []string{}}, &role)
	platform := s.find("", "teams", "Platform")
	s.edit(t, "/api/teams/"+platform, func(d map[string]any) { d["MemberUserIds"] = []string{s.userID(t, "alice"), s.userID(t, "bob")} })
	s.raw(t, http.MethodPost, "/api/scopeduserroles", map[string]any{"TeamId": platform, "UserRoleId": role["Id"], "SpaceId": "Spaces-1",
		"EnvironmentIds": []string{s.find("Spaces-1", "environments", "Production")},
		"ProjectIds":     []string{s.find("Spaces-1", "projects", "Shop")}}, nil)
	var auditors map[string]any
	s.raw(t, http.MethodPost, "/api/teams", map[string]any{"Name": "Auditors", "Description": "Read the audit log", "MemberUserIds": []string{s.userID(t, "carol")}}, &auditors)
	s.raw(t, http.MethodPost, "/api/scopeduserroles", map[string]any{"TeamId": auditors["Id"], "UserRoleId": "userroles-systemmanager", "SpaceId": nil}, nil)

	s.raw(t, http.MethodPost, "/api/Spaces-1/subscriptions", map[string]any{"Name": "Deploys",
		"EventNotificationSubscription": map[string]any{
			"Filter": map[string]any{
				"Environments":    []string{s.find("Spaces-1", "environments", "Production")},
				"ProjectGroups":   []string{s.find("Spaces-1", "projectgroups", "Web")},
				"Projects":        []string{s.find("Spaces-1", "projects", "Shop")},
				"Tenants":         []string{s.find("Spaces-1", "tenants", "Acme")},
				"Users":           []string{s.userID(t, "alice")},
				"EventCategories": []string{"DeploymentFailed"},
			},
			"EmailTeams": []string{platform}, "WebhookURI": "https://hooks.example.com/octopus",
			"WebhookHeaderKey": "X-Token", "WebhookHeaderValue": sourceSecrets[4],
		}}, nil)
}

// userID returns the ID of a user by username.
func (f *fixture) userID(t testing.TB, username string) string {
	t.Helper()
	return f.idOf(t, "/api/users/all", "Username", username)
}

func dialEmulator(ctx context.Context, url, apiKey string) (steps.Octopus, error) {
	c, err := octopus.Dial(ctx, octopus.Options{URL: url, APIKey: apiKey, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// step is a clone from p.src (the global connection) to p.tgt.
func (p *pair) step(in steps.CloneInstanceSettingsInput) *steps.CloneInstanceSettings {
	in.Target = &steps.Connection{Server: p.tgt.emu.URL(), APIKey: p.tgt.emu.APIKey()}
	if in.BackupDir == "" {
		in.BackupDir = p.backup
	}
	return &steps.CloneInstanceSettings{In: in, Dial: dialEmulator}
}

// clone plans and applies one run and returns the plan and outputs.
func (p *pair) clone(t testing.TB, in steps.CloneInstanceSettingsInput) (steps.Plan, steps.Outputs) {
	t.Helper()
	s := p.step(in)
	plan := mustPlan(t, s, p.src.oct)
	return plan, mustApply(t, s, p.src.oct, plan)
}

// noSecrets fails when any supplied or source secret appears in text.
func noSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range append(slices.Collect(mapsValues(suppliedSecrets)), sourceSecrets...) {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", what, s)
		}
	}
}

func mapsValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func TestCloneInstanceSettingsConverges(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	in := steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets, TeamMembership: true}
	plan, out := p.clone(t, in)
	noSecrets(t, "plan", mustJSON(t, plan))
	if len(pending(plan)) == 0 {
		t.Fatal("first plan is empty")
	}
	if out["BackupFile"] == "" {
		t.Fatalf("outputs = %v, want BackupFile", out)
	}
	first := p.tgt.emu.Writes()
	if len(first) == 0 {
		t.Fatal("first run wrote nothing")
	}

	// The target now matches the source, by name.
	tgt := p.tgt
	var aad map[string]any
	tgt.raw(t, http.MethodGet, "/api/configuration/authentication-aad/values", nil, &aad)
	if aad["IsEnabled"] != true || aad["ClientId"] != "aad-client" || aad["ClientSecret"].(map[string]any)["HasValue"] != true {
		t.Errorf("target aad = %v", aad)
	}
	var smtp map[string]any
	tgt.raw(t, http.MethodGet, "/api/smtpconfiguration", nil, &smtp)
	if smtp["SmtpHost"] != "smtp.example.com" || smtp["Details"].(map[string]any)["SmtpLogin"] != "mailer" {
		t.Errorf("target smtp = %v", smtp)
	}
	var sc map[string]any
	tgt.raw(t, http.MethodGet, "/api/serverconfiguration", nil, &sc)
	if sc["ServerUri"] != tgt.emu.URL() {
		t.Errorf("target ServerUri = %v: must never be copied", sc["ServerUri"])
	}
	var auth map[string]any
	tgt.raw(t, http.MethodGet, "/api/configuration/authentication/values", nil, &auth)
	if auth["SessionTimeoutInSeconds"] != float64(3600) {
		t.Errorf("target authentication = %v", auth)
	}
	if iss := auth["OidcConfigurationSettings"].(map[string]any)["OidcIssuerUrl"]; iss != tgt.emu.URL() {
		t.Errorf("target OIDC issuer = %v: the target's own identity must not be copied", iss)
	}

	// Subscription filters and team roles are remapped to the target's IDs.
	var subs []map[string]any
	tgt.raw(t, http.MethodGet, "/api/Spaces-1/subscriptions/all", nil, &subs)
	if len(subs) != 1 {
		t.Fatalf("target subscriptions = %v", subs)
	}
	ens := subs[0]["EventNotificationSubscription"].(map[string]any)
	filter := ens["Filter"].(map[string]any)
	for _, c := range []struct {
		field, want, srcID string
	}{
		{"Environments", tgt.find("Spaces-1", "environments", "Production"), p.src.find("Spaces-1", "environments", "Production")},
		{"ProjectGroups", tgt.find("Spaces-1", "projectgroups", "Web"), p.src.find("Spaces-1", "projectgroups", "Web")},
		{"Tenants", tgt.find("Spaces-1", "tenants", "Acme"), p.src.find("Spaces-1", "tenants", "Acme")},
		{"Projects", tgt.find("Spaces-1", "projects", "Shop"), p.src.find("Spaces-1", "projects", "Shop")},
		{"Users", tgt.userID(t, "alice"), p.src.userID(t, "alice")},
	} {
		if c.want == c.srcID {
			t.Fatalf("%s: test setup must give the instances different IDs", c.field)
		}
		if got := filter[c.field]; !cmp.Equal(got, []any{c.want}) {
			t.Errorf("filter %s = %v, want [%s]", c.field, got, c.want)
		}
	}
	if got := ens["EmailTeams"]; !cmp.Equal(got, []any{tgt.find("", "teams", "Platform")}) {
		t.Errorf("EmailTeams = %v", got)
	}
	var grants map[string]any
	tgt.raw(t, http.MethodGet, "/api/teams/"+tgt.find("", "teams", "Platform")+"/scopeduserroles", nil, &grants)
	found := false
	for _, it := range grants["Items"].([]any) {
		g := it.(map[string]any)
		if g["UserRoleId"] == tgt.find("", "userroles", "Release approver") {
			found = cmp.Equal(g["EnvironmentIds"], []any{tgt.find("Spaces-1", "environments", "Production")}) &&
				cmp.Equal(g["ProjectIds"], []any{tgt.find("Spaces-1", "projects", "Shop")})
		}
	}
	if !found {
		t.Errorf("Platform's Release approver grant was not remapped: %v", grants)
	}
	if tgt.find("", "teams", "Auditors") == "" {
		t.Error("team Auditors was not created")
	}

	// Second run: an empty plan and not a single write, secrets supplied again.
	tgt.emu.ResetRequests()
	again, _ := p.clone(t, in)
	if got := pending(again); len(got) != 0 {
		t.Errorf("second plan = %v, want none", got)
	}
	if w := tgt.emu.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %v", w)
	}
}

func TestCloneInstanceSettingsDriftRepair(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	in := steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets}
	p.clone(t, in)
	tgt := p.tgt
	tgt.edit(t, "/api/configuration/webportal/values", func(d map[string]any) {
		d["Security"].(map[string]any)["CorsWhitelist"] = "https://drift.example.com"
	})
	tgt.edit(t, "/api/Spaces-1/subscriptions/"+tgt.find("Spaces-1", "subscriptions", "Deploys"), func(d map[string]any) {
		d["IsDisabled"] = true
	})
	tgt.raw(t, http.MethodPut, "/api/configuration/retention-default", map[string]any{"RetentionDays": 99}, nil)

	s := p.step(in)
	plan := mustPlan(t, s, p.src.oct)
	want := []string{"update settings retention-default", "update settings webportal", "update subscription Default/Deploys"}
	if diff := cmp.Diff(want, pending(plan)); diff != "" {
		t.Fatalf("drift plan (-want +got):\n%s", diff)
	}
	for _, c := range plan.Changes {
		if c.Name == "webportal" && c.Action == steps.Update {
			if got := c.Fields["Security.CorsWhitelist"]; got != [2]any{"https://drift.example.com", "https://portal.example.com"} {
				t.Errorf("webportal field = %v", got)
			}
		}
	}
	tgt.emu.ResetRequests()
	mustApply(t, s, p.src.oct, plan)
	if w := tgt.emu.Writes(); len(w) != 3 {
		t.Errorf("repair wrote %v, want 3 writes", w)
	}
	if got := pending(mustPlan(t, p.step(in), p.src.oct)); len(got) != 0 {
		t.Errorf("after repair: %v", got)
	}
}

func TestCloneInstanceSettingsEachGroup(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		group string
		// writes are the path prefixes the group may write to.
		writes []string
	}{
		{steps.GroupAuthentication, []string{"PUT /api/configuration/authentication"}},
		{steps.GroupSMTP, []string{"PUT /api/smtpconfiguration"}},
		{steps.GroupAuditStream, []string{"PUT /api/audit-stream"}},
		{steps.GroupWebPortal, []string{"PUT /api/configuration/webportal/values"}},
		{steps.GroupRetention, []string{"PUT /api/configuration/retention-default", "PUT /api/configuration/eventretention/values"}},
		{steps.GroupTeams, []string{"POST /api/userroles", "POST /api/teams", "PUT /api/teams/", "POST /api/scopeduserroles"}},
		{steps.GroupSubscriptions, []string{"POST /api/Spaces-1/subscriptions"}},
	} {
		t.Run(c.group, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			secrets := map[string]string{}
			for k, v := range suppliedSecrets {
				if groupOfSecret(k) == c.group {
					secrets[k] = v
				}
			}
			in := steps.CloneInstanceSettingsInput{Include: []string{c.group}, Secrets: secrets}
			plan, _ := p.clone(t, in)
			if len(pending(plan)) == 0 {
				t.Fatal("nothing planned")
			}
			writes := p.tgt.emu.Writes()
			for _, w := range writes {
				if !slices.ContainsFunc(c.writes, func(prefix string) bool { return strings.HasPrefix(w, prefix) }) {
					t.Errorf("group %s wrote %s", c.group, w)
				}
			}
			if len(writes) == 0 {
				t.Error("no writes")
			}
			p.tgt.emu.ResetRequests()
			if got := pending(mustPlan(t, p.step(in), p.src.oct)); len(got) != 0 {
				t.Errorf("second plan = %v", got)
			}
			// The other groups still differ.
			all := mustPlan(t, p.step(steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets}), p.src.oct)
			for _, ch := range all.Changes {
				if ch.Action != steps.NoOp && groupOfChange(ch) == c.group {
					t.Errorf("group %s still pending: %s %s", c.group, ch.Kind, ch.Name)
				}
			}
			if len(pending(all)) == 0 {
				t.Error("the other groups were copied too")
			}
		})
	}
}

func groupOfSecret(key string) string {
	switch {
	case strings.HasPrefix(key, "authentication"):
		return steps.GroupAuthentication
	case strings.HasPrefix(key, "smtp."):
		return steps.GroupSMTP
	case strings.HasPrefix(key, "audit-stream."):
		return steps.GroupAuditStream
	case strings.HasPrefix(key, "subscriptions/"):
		return steps.GroupSubscriptions
	}
	return ""
}

func groupOfChange(c steps.Change) string {
	switch {
	case c.Kind == "subscription":
		return steps.GroupSubscriptions
	case c.Kind == "team" || c.Kind == "user role":
		return steps.GroupTeams
	case strings.HasPrefix(c.Name, "authentication"):
		return steps.GroupAuthentication
	case c.Name == "smtp":
		return steps.GroupSMTP
	case c.Name == "audit-stream":
		return steps.GroupAuditStream
	case c.Name == "webportal":
		return steps.GroupWebPortal
	}
	return steps.GroupRetention
}

func TestCloneInstanceSettingsSecrets(t *testing.T) {
	t.Parallel()
	const aadKey = "authentication-aad.ClientSecret"
	for _, c := range []struct {
		name string
		// targetHas gives the target an AAD client secret before the run.
		targetHas bool
		secrets   map[string]string
		rotate    bool
		// wantField is the plan's have → want for the secret; nil: no change.
		wantField *[2]any
		wantErr   string
	}{
		{name: "supplied", secrets: map[string]string{aadKey: "aad-SUPPLIED-secret-1"}, wantField: &[2]any{nil, steps.Sensitive}},
		{name: "kept", targetHas: true},
		{name: "kept although supplied", targetHas: true, secrets: map[string]string{aadKey: "aad-SUPPLIED-secret-1"}},
		{name: "rotated", targetHas: true, rotate: true, secrets: map[string]string{aadKey: "aad-SUPPLIED-secret-1"}, wantField: &[2]any{steps.Sensitive, steps.Sensitive}},
		{name: "missing", wantErr: `"authentication-aad.ClientSecret"`},
		{name: "unknown key", secrets: map[string]string{aadKey: "aad-SUPPLIED-secret-1", "authentication-aad.Nope": "ldap-SUPPLIED-secret-2"}, wantErr: `"authentication-aad.Nope"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			// Only the AAD provider is in play: the target lacks LDAP.
			if err := p.tgt.emu.SetAuthProviders("authentication-usernamepassword", "authentication-aad"); err != nil {
				t.Fatal(err)
			}
			if c.targetHas {
				p.tgt.edit(t, "/api/configuration/authentication-aad/values", func(d map[string]any) {
					d["ClientSecret"] = map[string]any{"HasValue": true, "NewValue": "aad-SOURCE-secret"}
				})
			}
			p.tgt.emu.ResetRequests()
			s := p.step(steps.CloneInstanceSettingsInput{Include: []string{steps.GroupAuthentication}, Secrets: c.secrets, RotateSecrets: c.rotate})
			plan, err := s.Plan(context.Background(), p.src.oct)
			if c.wantErr != "" {
				var ie *steps.InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want an input error naming %s", err, c.wantErr)
				}
				noSecrets(t, "error", err.Error())
				if w := p.tgt.emu.Writes(); len(w) != 0 {
					t.Errorf("wrote %v after a plan error", w)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(strings.Split(plan.Outputs["SkippedSettings"], ","), "authentication-ldap") {
				t.Errorf("outputs = %v, want authentication-ldap skipped", plan.Outputs)
			}
			noSecrets(t, "plan", mustJSON(t, plan))
			var got *[2]any
			for _, ch := range plan.Changes {
				if ch.Name == "authentication-aad" {
					if f, ok := ch.Fields["ClientSecret"]; ok {
						got = &f
					}
				}
			}
			if diff := cmp.Diff(c.wantField, got); diff != "" {
				t.Errorf("ClientSecret change (-want +got):\n%s", diff)
			}
			out := mustApply(t, s, p.src.oct, plan)
			noSecrets(t, "outputs", mustJSON(t, out))
			var aad map[string]any
			p.tgt.raw(t, http.MethodGet, "/api/configuration/authentication-aad/values", nil, &aad)
			if aad["ClientSecret"].(map[string]any)["HasValue"] != true {
				t.Errorf("target ClientSecret = %v", aad["ClientSecret"])
			}
			if b := out["BackupFile"]; b != "" {
				raw, err := os.ReadFile(b)
				if err != nil {
					t.Fatal(err)
				}
				noSecrets(t, "backup", string(raw))
			}
		})
	}
}

// snapshot is what the two steps manage on an instance, as the server serves
// it, without bookkeeping.
func snapshot(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	out := map[string]any{}
	get := func(key, path string) {
		var v any
		f.raw(t, http.MethodGet, path, nil, &v)
		out[key] = scrub(v)
	}
	var sections map[string]any
	f.raw(t, http.MethodGet, "/api/configuration", nil, &sections)
	for _, it := range sections["Items"].([]any) {
		id := it.(map[string]any)["Id"].(string)
		get(id, "/api/configuration/"+id+"/values")
	}
	get("smtp", "/api/smtpconfiguration")
	get("audit-stream", "/api/audit-stream")
	get("retention-default", "/api/configuration/retention-default")
	get("serverconfiguration", "/api/serverconfiguration")
	get("userroles", "/api/userroles/all")
	get("teams", "/api/teams/all")
	var grants map[string]any // the real server has no /all form for scoped user roles
	f.raw(t, http.MethodGet, "/api/scopeduserroles?take=1000", nil, &grants)
	out["scopeduserroles"] = scrub(grants["Items"])
	get("subscriptions", "/api/Spaces-1/subscriptions/all")
	return out
}

// scrub drops LastModified* and Links, which change with every write.
func scrub(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range t {
			if k == "LastModifiedOn" || k == "LastModifiedBy" || k == "Links" {
				continue
			}
			m[k] = scrub(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = scrub(x)
		}
		return out
	}
	return v
}

func TestCloneInstanceSettingsBackupRestore(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	// The target has settings of its own that the clone overwrites.
	p.tgt.edit(t, "/api/configuration/webportal/values", func(d map[string]any) {
		d["Security"].(map[string]any)["CorsWhitelist"] = "https://target.example.com"
	})
	p.tgt.raw(t, http.MethodPost, "/api/Spaces-1/subscriptions", map[string]any{"Name": "Deploys",
		"EventNotificationSubscription": map[string]any{"WebhookURI": "https://target-hooks.example.com"}}, nil)
	before := snapshot(t, p.tgt)

	_, out := p.clone(t, steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets, TeamMembership: true})
	backup := out["BackupFile"]
	st, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || filepath.Dir(backup) != p.backup {
		t.Errorf("backup %s mode %v, want 0600 in %s", backup, st.Mode().Perm(), p.backup)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "backup", string(raw))
	if cmp.Equal(before, snapshot(t, p.tgt)) {
		t.Fatal("the clone changed nothing")
	}

	// A backup is refused on another instance.
	wrong := &steps.RestoreInstanceSettings{In: steps.RestoreInstanceSettingsInput{From: backup}, Server: p.src.emu.URL()}
	var ie *steps.InputError
	if _, err := wrong.Plan(context.Background(), p.src.oct); !errors.As(err, &ie) || !strings.Contains(err.Error(), "the backup was taken from "+p.tgt.emu.URL()) {
		t.Errorf("restore on the wrong instance: err = %v", err)
	}

	restore := &steps.RestoreInstanceSettings{In: steps.RestoreInstanceSettingsInput{From: backup}, Server: p.tgt.emu.URL()}
	plan := mustPlan(t, restore, p.tgt.oct)
	noSecrets(t, "restore plan", mustJSON(t, plan))
	mustApply(t, restore, p.tgt.oct, plan)
	if diff := cmp.Diff(before, snapshot(t, p.tgt)); diff != "" {
		t.Errorf("after restore (-before +after):\n%s", diff)
	}
	// Restore converges: a second run changes nothing.
	p.tgt.emu.ResetRequests()
	again := &steps.RestoreInstanceSettings{In: steps.RestoreInstanceSettingsInput{From: backup}}
	if got := pending(mustPlan(t, again, p.tgt.oct)); len(got) != 0 {
		t.Errorf("second restore plan = %v", got)
	}
	if w := p.tgt.emu.Writes(); len(w) != 0 {
		t.Errorf("second restore wrote %v", w)
	}
}

func TestCloneInstanceSettingsLegacySMTP(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	if err := p.tgt.emu.UseLegacySMTPForm(); err != nil {
		t.Fatal(err)
	}
	in := steps.CloneInstanceSettingsInput{Include: []string{steps.GroupSMTP}, Secrets: suppliedSecrets}
	in.Secrets = map[string]string{"smtp.Details.SmtpPassword": suppliedSecrets["smtp.Details.SmtpPassword"]}
	p.clone(t, in)
	var smtp map[string]any
	p.tgt.raw(t, http.MethodGet, "/api/smtpconfiguration", nil, &smtp)
	if _, ok := smtp["Details"]; ok || smtp["SmtpLogin"] != "mailer" || smtp["SmtpPassword"].(map[string]any)["HasValue"] != true {
		t.Errorf("legacy target smtp = %v", smtp)
	}
	p.tgt.emu.ResetRequests()
	if got := pending(mustPlan(t, p.step(in), p.src.oct)); len(got) != 0 {
		t.Errorf("second plan = %v", got)
	}
}

func TestCloneInstanceSettingsOverrides(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	in := steps.CloneInstanceSettingsInput{Include: []string{steps.GroupWebPortal, steps.GroupSMTP}, Secrets: map[string]string{"smtp.Details.SmtpPassword": "smtp-SUPPLIED-secret-3"},
		Overrides: map[string]map[string]any{
			"webportal": {"Security.CorsWhitelist": "https://{{ .Tenant.Slug }}.example.com"},
			"smtp":      {"SmtpPort": 2525},
		}}
	s := p.step(in)
	s.Data = steps.TemplateData{Tenant: steps.TenantData{Slug: "eu"}}
	mustApply(t, s, p.src.oct, mustPlan(t, s, p.src.oct))
	var wp, smtp map[string]any
	p.tgt.raw(t, http.MethodGet, "/api/configuration/webportal/values", nil, &wp)
	p.tgt.raw(t, http.MethodGet, "/api/smtpconfiguration", nil, &smtp)
	if got := wp["Security"].(map[string]any)["CorsWhitelist"]; got != "https://eu.example.com" {
		t.Errorf("CorsWhitelist = %v", got)
	}
	if smtp["SmtpPort"] != float64(2525) {
		t.Errorf("SmtpPort = %v", smtp["SmtpPort"])
	}
	again := p.step(in)
	again.Data = s.Data
	if got := pending(mustPlan(t, again, p.src.oct)); len(got) != 0 {
		t.Errorf("second plan = %v", got)
	}
}

func TestCloneInstanceSettingsBadInputAndConnections(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		edit  func(p *pair, s *steps.CloneInstanceSettings)
		input bool // an *InputError is expected
		want  string
	}{
		{name: "unknown group", input: true, want: `include[0]: unknown setting group "licence"`,
			edit: func(_ *pair, s *steps.CloneInstanceSettings) { s.In.Include = []string{"licence"} }},
		{name: "override of an unknown document", input: true, want: "overrides.nope",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) {
				s.In.Overrides = map[string]map[string]any{"nope": {"X": 1}}
				s.In.Secrets = suppliedSecrets
			}},
		{name: "template that does not render", input: true, want: "overrides.webportal.Security.CorsWhitelist",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) {
				s.In.Overrides = map[string]map[string]any{"webportal": {"Security.CorsWhitelist": "{{ .Tenant.Name }}"}}
			}},
		{name: "override of a secret", input: true, want: "overrides.authentication-aad.ClientSecret: a sensitive setting",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) {
				s.In.Overrides = map[string]map[string]any{"authentication-aad": {"ClientSecret": "aad-SUPPLIED-secret-1"}}
			}},
		{name: "no target", input: true, want: "no target instance",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) { s.In.Target = nil }},
		{name: "unreachable target", want: "connect to target instance http://127.0.0.1:1",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) { s.In.Target.Server = "http://127.0.0.1:1" }},
		{name: "unauthorised target", want: "unauthorized",
			edit: func(_ *pair, s *steps.CloneInstanceSettings) { s.In.Target.APIKey = "API-WRONG0000000000000000000" }},
		{name: "unreachable source", want: "connect to source instance http://127.0.0.1:1",
			edit: func(p *pair, s *steps.CloneInstanceSettings) {
				s.In.Source = &steps.Connection{Server: "http://127.0.0.1:1", APIKey: p.src.emu.APIKey()}
			}},
		{name: "unauthorised source", want: "connect to source instance",
			edit: func(p *pair, s *steps.CloneInstanceSettings) {
				s.In.Source = &steps.Connection{Server: p.src.emu.URL(), APIKey: "API-WRONG0000000000000000000"}
			}},
		{name: "missing subscription space", input: true, want: `no space "Nowhere" on the source instance`,
			edit: func(_ *pair, s *steps.CloneInstanceSettings) {
				s.In.Include = []string{steps.GroupSubscriptions}
				s.In.Spaces = []string{"Nowhere"}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			s := p.step(steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets})
			c.edit(p, s)
			_, err := s.Plan(context.Background(), p.src.oct)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			var ie *steps.InputError
			if got := errors.As(err, &ie); got != c.input {
				t.Errorf("input error = %v, want %v (%v)", got, c.input, err)
			}
			if !errors.Is(err, steps.ErrUnauthorized) && strings.Contains(c.name, "unauthorised") {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
			noSecrets(t, "error", err.Error())
			if strings.Contains(err.Error(), "API-") {
				t.Errorf("error shows an API key: %v", err)
			}
			if w := append(p.tgt.emu.Writes(), p.src.emu.Writes()...); len(w) != 0 {
				t.Errorf("wrote %v", w)
			}
			if entries, _ := os.ReadDir(p.backup); len(entries) != 0 {
				t.Errorf("backup written: %v", entries)
			}
		})
	}
}

// BenchmarkCloneInstanceSettingsAPICost reports the requests of a first
// clone of every group and of the no-op re-run (go test ./steps -run '^$'
// -bench CloneInstanceSettingsAPICost -benchtime 3x).
func BenchmarkCloneInstanceSettingsAPICost(b *testing.B) {
	count := func(p *pair) (srcReads, tgtReads, tgtWrites int) {
		for _, r := range p.src.emu.Requests() {
			if r.Method == http.MethodGet {
				srcReads++
			}
		}
		for _, r := range p.tgt.emu.Requests() {
			if r.Method == http.MethodGet {
				tgtReads++
			} else {
				tgtWrites++
			}
		}
		return
	}
	in := steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets, TeamMembership: true}
	for b.Loop() {
		p := newPair(b)
		p.clone(b, in)
		sr, tr, tw := count(p)
		b.ReportMetric(float64(sr), "source-reads/first")
		b.ReportMetric(float64(tr), "target-reads/first")
		b.ReportMetric(float64(tw), "target-writes/first")
		p.src.emu.ResetRequests()
		p.tgt.emu.ResetRequests()
		p.clone(b, in)
		sr, tr, tw = count(p)
		b.ReportMetric(float64(sr), "source-reads/rerun")
		b.ReportMetric(float64(tr), "target-reads/rerun")
		b.ReportMetric(float64(tw), "target-writes/rerun")
	}
}

// TestCloneInstanceSettingsTeamGrantsInOneSidedSpaces: instances per region
// have spaces of their own. A system team's grants in a space only the
// source has are skipped (and named in SkippedSettings), not a plan error;
// its grants in a space only the target has are left alone, not revoked.
func TestCloneInstanceSettingsTeamGrantsInOneSidedSpaces(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	// Making Platform manage a space grants it "Space manager" there.
	p.src.raw(t, http.MethodPost, "/api/spaces", map[string]any{"Name": "Hub only", "SpaceManagersTeams": []string{p.src.find("", "teams", "Platform")}}, nil)
	var euOnly map[string]any
	p.tgt.raw(t, http.MethodPost, "/api/spaces", map[string]any{"Name": "EU only", "SpaceManagersTeams": []string{p.tgt.find("", "teams", "Platform")}}, &euOnly)
	platformGrants := func() []string {
		var grants map[string]any
		p.tgt.raw(t, http.MethodGet, "/api/teams/"+p.tgt.find("", "teams", "Platform")+"/scopeduserroles", nil, &grants)
		var out []string
		for _, it := range grants["Items"].([]any) {
			g := it.(map[string]any)
			sp, _ := g["SpaceId"].(string)
			out = append(out, g["UserRoleId"].(string)+"@"+sp)
		}
		slices.Sort(out)
		return out
	}
	euGrant := "userroles-spacemanager@" + euOnly["Id"].(string)
	if !slices.Contains(platformGrants(), euGrant) {
		t.Fatalf("setup: target Platform grants = %v, want %s", platformGrants(), euGrant)
	}
	p.tgt.emu.ResetRequests()

	in := steps.CloneInstanceSettingsInput{Include: []string{steps.GroupTeams}}
	plan, out := p.clone(t, in)
	if !slices.Contains(strings.Split(out["SkippedSettings"], ","), `teams/Platform/Hub only`) {
		t.Errorf("SkippedSettings = %q, want the grant in the source-only space named", out["SkippedSettings"])
	}
	for _, c := range plan.Changes {
		if c.Name == "Platform" {
			if roles, ok := c.Fields["roles"]; ok {
				for _, side := range roles {
					for _, g := range side.([]string) {
						if strings.Contains(g, "only") {
							t.Errorf("roles change %v names a one-sided space", roles)
						}
					}
				}
			}
		}
	}
	if got := platformGrants(); !slices.Contains(got, euGrant) {
		t.Errorf("target Platform grants = %v: the grant in the target-only space was revoked", got)
	}
	p.tgt.emu.ResetRequests()
	if got := pending(mustPlan(t, p.step(in), p.src.oct)); len(got) != 0 {
		t.Errorf("second plan = %v", got)
	}
}

// TestCloneInstanceSettingsPartialFailure: a run that fails half-way (a
// lost create answer, then a refused write) is repaired by the next run,
// with nothing created twice.
func TestCloneInstanceSettingsPartialFailure(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	in := steps.CloneInstanceSettingsInput{Secrets: suppliedSecrets, TeamMembership: true}
	p.tgt.emu.DropNext(http.MethodPost, "/api/userroles", 1)
	p.tgt.emu.DropNext(http.MethodPost, "/api/teams", 1)
	p.tgt.emu.FailNext(http.MethodPost, "/api/Spaces-1/subscriptions", http.StatusBadRequest, 1)
	s := p.step(in)
	if _, err := s.Apply(context.Background(), p.src.oct, mustPlan(t, s, p.src.oct)); err == nil {
		t.Fatal("apply succeeded despite the refused write")
	}
	var dropped []string
	for _, r := range p.tgt.emu.Requests() {
		if r.Status == 0 {
			dropped = append(dropped, r.Method+" "+r.Path)
		}
	}
	if want := []string{"POST /api/userroles", "POST /api/teams"}; !cmp.Equal(dropped, want) {
		t.Fatalf("dropped answers = %q, want %q", dropped, want)
	}
	p.clone(t, in)
	p.tgt.emu.ResetRequests()
	if got := pending(mustPlan(t, p.step(in), p.src.oct)); len(got) != 0 {
		t.Errorf("plan after the repair = %v", got)
	}
	for path, name := range map[string]string{
		"/api/userroles/all":              "Release approver",
		"/api/teams/all":                  "Auditors",
		"/api/Spaces-1/subscriptions/all": "Deploys",
	} {
		var items []map[string]any
		p.tgt.raw(t, http.MethodGet, path, nil, &items)
		n := 0
		for _, it := range items {
			if it["Name"] == name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %q exists %d times, want once", path, name, n)
		}
	}
}
