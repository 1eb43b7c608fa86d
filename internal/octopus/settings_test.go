package octopus

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

func strPtr(s string) *string { return &s }

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	if err := emu.SetAuthProviders("authentication-usernamepassword", "authentication-ldap"); err != nil {
		t.Fatal(err)
	}
	c := mustDial(t, Options{URL: emu.URL(), APIKey: emu.APIKey()})
	ctx := t.Context()

	ids, err := c.SettingsSections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, "authentication-ldap") || slices.Contains(ids, "authentication-aad") {
		t.Errorf("sections = %v", ids)
	}

	// The SDK's own services read the section and the derived document.
	sec, err := c.sdk.Configuration.GetByID("authentication")
	if err != nil || sec.Links["Values"] != "/api/configuration/authentication/values" || sec.Links["Metadata"] == "" {
		t.Errorf("SDK Configuration.GetByID = %+v, %v", sec, err)
	}
	auth, err := c.sdk.Authentication.Get()
	if err != nil || len(auth.AuthenticationProviders) != 1 {
		t.Errorf("SDK Authentication.Get = %+v, %v", auth, err)
	}

	doc, err := c.Settings(ctx, "authentication-ldap")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Values["AttributeMapping.UserEmailAttribute"] != "mail" || doc.Secrets["ConnectPassword"] {
		t.Fatalf("ldap = %+v", doc)
	}
	if _, ok := doc.Values["Id"]; ok {
		t.Error("Id is a value")
	}
	for _, step := range []struct {
		name   string
		secret steps.SecretWrite
		want   bool
	}{
		{"set", steps.SecretWrite{Has: true, NewValue: strPtr("bind-pw")}, true},
		{"keep", steps.SecretWrite{Has: true}, true},
		{"clear", steps.SecretWrite{}, false},
	} {
		doc.Values["Server"] = "ldap-" + step.name
		if err := c.PutSettings(ctx, "authentication-ldap", steps.SettingsWrite{Values: doc.Values,
			Secrets: map[string]steps.SecretWrite{"ConnectPassword": step.secret}}); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := c.Settings(ctx, "authentication-ldap")
		if err != nil {
			t.Fatal(err)
		}
		if got.Secrets["ConnectPassword"] != step.want || got.Values["Server"] != "ldap-"+step.name {
			t.Errorf("%s: %+v", step.name, got)
		}
		if diff := cmp.Diff(doc.Values, got.Values); diff != "" {
			t.Errorf("%s: values changed (-put +read):\n%s", step.name, diff)
		}
	}

	if _, err := c.Settings(ctx, "authentication-aad"); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("missing provider: err = %v, want ErrNotFound", err)
	}
	audit, err := c.Settings(ctx, steps.AuditStreamSettings)
	if err != nil || audit.Values["Active"] != false {
		t.Errorf("unconfigured audit stream = %+v, %v", audit, err)
	}
}

func TestSettingsSMTPForms(t *testing.T) {
	t.Parallel()
	for _, legacy := range []bool{false, true} {
		emu := emulatortest.New(t)
		if legacy {
			if err := emu.UseLegacySMTPForm(); err != nil {
				t.Fatal(err)
			}
		}
		c := mustDial(t, Options{URL: emu.URL(), APIKey: emu.APIKey()})
		ctx := t.Context()
		w := steps.SettingsWrite{
			Values: map[string]any{"SmtpHost": "smtp.example.com", "SmtpPort": float64(587), "SendEmailFrom": "o@example.com",
				"EnableSsl": true, "Timeout": float64(12000), "Details.CredentialType": "UsernamePassword", "Details.SmtpLogin": "mailer"},
			Secrets: map[string]steps.SecretWrite{"Details.SmtpPassword": {Has: true, NewValue: strPtr("pw")}},
		}
		if err := c.PutSettings(ctx, steps.SMTPSettings, w); err != nil {
			t.Fatal(err)
		}
		got, err := c.Settings(ctx, steps.SMTPSettings)
		if err != nil {
			t.Fatal(err)
		}
		// Either form reads back in the Details form.
		if diff := cmp.Diff(w.Values, got.Values); diff != "" {
			t.Errorf("legacy=%v (-want +got):\n%s", legacy, diff)
		}
		if !got.Secrets["Details.SmtpPassword"] {
			t.Errorf("legacy=%v: secrets = %v", legacy, got.Secrets)
		}
	}
}

func TestSubscriptionsAndRoles(t *testing.T) {
	t.Parallel()
	_, c := dialEmulator(t)
	ctx := t.Context()
	space := c.sdk.GetSpaceID()

	team, err := c.CreateTeam(ctx, steps.Team{Name: "Auditors", Description: "d"})
	if err != nil || team.SpaceID != "" {
		t.Fatalf("system team = %+v, %v", team, err)
	}
	sub, err := c.CreateSubscription(ctx, steps.Subscription{SpaceID: space, Name: "Deploys", EmailTeams: []string{team.ID},
		EmailPriority: "High", WebhookURI: "https://hooks.example.com", WebhookHeaderKey: "X-Token",
		WebhookHeaderValue: steps.SecretWrite{Has: true, NewValue: strPtr("hook")}})
	if err != nil {
		t.Fatal(err)
	}
	if !sub.WebhookHeaderValue.Has || sub.EmailPriority != "High" || !cmp.Equal(sub.EmailTeams, []string{team.ID}) {
		t.Errorf("created %+v", sub)
	}
	sub.IsDisabled = true
	sub.WebhookHeaderValue = steps.SecretWrite{Has: true}
	if _, err := c.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	all, err := c.Subscriptions(ctx, space)
	if err != nil || len(all) != 1 || !all[0].IsDisabled || !all[0].WebhookHeaderValue.Has {
		t.Fatalf("subscriptions = %+v, %v", all, err)
	}
	if err := c.DeleteSubscription(ctx, space, sub.ID); err != nil {
		t.Fatal(err)
	}

	role, err := c.CreateUserRole(ctx, steps.UserRoleDetail{UserRole: steps.UserRole{Name: "Approver"}, SpacePermissions: []string{"ProjectView"}})
	if err != nil || role.BuiltIn {
		t.Fatalf("role = %+v, %v", role, err)
	}
	role.SpacePermissions = []string{"ProjectView", "ReleaseView"}
	if _, err := c.UpdateUserRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	roles, err := c.UserRoleDetails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(roles, func(r steps.UserRoleDetail) bool { return r.Name == "Approver" })
	if i < 0 || !cmp.Equal(roles[i].SpacePermissions, []string{"ProjectView", "ReleaseView"}) {
		t.Errorf("roles = %+v", roles)
	}
	if j := slices.IndexFunc(roles, func(r steps.UserRoleDetail) bool { return r.Name == "System administrator" }); j < 0 || !roles[j].BuiltIn {
		t.Error("built-in roles not marked")
	}
	if err := c.DeleteUserRole(ctx, role.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTeam(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
}
