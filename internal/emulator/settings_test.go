package emulator_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func sectionIDs(t *testing.T, s *emulator.Server) []string {
	t.Helper()
	r := must(t, do(t, s, http.MethodGet, "/api/configuration", nil), http.StatusOK)
	var ids []string
	for _, it := range r.Body["Items"].([]any) {
		ids = append(ids, it.(map[string]any)["Id"].(string))
	}
	return ids
}

func TestConfigurationSections(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	ids := sectionIDs(t, s)
	for _, want := range []string{"authentication", "authentication-aad", "authentication-od", "authentication-ldap", "webportal"} {
		if !slices.Contains(ids, want) {
			t.Errorf("sections %v lack %q", ids, want)
		}
	}
	sec := must(t, do(t, s, http.MethodGet, "/api/configuration/authentication-aad", nil), http.StatusOK).Body
	links := sec["Links"].(map[string]any)
	if links["Values"] != "/api/configuration/authentication-aad/values" || links["Metadata"] != "/api/configuration/authentication-aad/metadata" {
		t.Errorf("links = %v", links)
	}
	meta := must(t, do(t, s, http.MethodGet, "/api/configuration/authentication-ldap/metadata", nil), http.StatusOK).Body
	if len(meta["Types"].([]any)) != 1 {
		t.Errorf("metadata = %v", meta)
	}
	must(t, do(t, s, http.MethodGet, "/api/configuration/nope/values", nil), http.StatusNotFound)
}

func TestConfigurationValuesSecrets(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	const path = "/api/configuration/authentication-aad/values"
	v := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body
	if v["ClientSecret"].(map[string]any)["HasValue"] != false {
		t.Fatalf("fresh ClientSecret = %v", v["ClientSecret"])
	}
	v["IsEnabled"] = true
	v["ClientId"] = "client"
	v["ClientSecret"] = map[string]any{"HasValue": true, "NewValue": "s3cret-aad"}
	put := must(t, do(t, s, http.MethodPut, path, v), http.StatusOK)
	if bytes.Contains(put.Raw, []byte("s3cret-aad")) {
		t.Fatalf("PUT answer carries the secret: %s", put.Raw)
	}
	got := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK)
	if bytes.Contains(got.Raw, []byte("s3cret-aad")) {
		t.Fatalf("GET carries the secret: %s", got.Raw)
	}
	if sv := got.Body["ClientSecret"].(map[string]any); sv["HasValue"] != true || sv["NewValue"] != nil {
		t.Fatalf("ClientSecret = %v, want HasValue only", sv)
	}
	// Keep: HasValue true, NewValue null.
	got.Body["ClientId"] = "client2"
	must(t, do(t, s, http.MethodPut, path, got.Body), http.StatusOK)
	if sv := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body["ClientSecret"].(map[string]any); sv["HasValue"] != true {
		t.Fatalf("kept ClientSecret = %v", sv)
	}
	// Clear: HasValue false.
	got.Body["ClientSecret"] = map[string]any{"HasValue": false, "NewValue": nil}
	must(t, do(t, s, http.MethodPut, path, got.Body), http.StatusOK)
	if sv := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body["ClientSecret"].(map[string]any); sv["HasValue"] != false {
		t.Fatalf("cleared ClientSecret = %v", sv)
	}
	auth := must(t, do(t, s, http.MethodGet, "/api/authentication", nil), http.StatusOK).Body
	var names []string
	for _, p := range auth["AuthenticationProviders"].([]any) {
		names = append(names, p.(map[string]any)["Name"].(string))
	}
	if !slices.Contains(names, "Azure AD") || !slices.Contains(names, "Username - Password") {
		t.Errorf("enabled providers = %v", names)
	}
}

func TestSetAuthProviders(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	if err := s.SetAuthProviders("authentication-usernamepassword", "authentication-aad"); err != nil {
		t.Fatal(err)
	}
	ids := sectionIDs(t, s)
	if slices.Contains(ids, "authentication-ldap") || !slices.Contains(ids, "authentication-aad") || !slices.Contains(ids, "authentication") {
		t.Errorf("sections = %v", ids)
	}
	must(t, do(t, s, http.MethodGet, "/api/configuration/authentication-ldap/values", nil), http.StatusNotFound)
	if err := s.SetAuthProviders("authentication-nope"); err == nil {
		t.Error("unknown provider accepted")
	}
}

func TestSMTPForms(t *testing.T) {
	t.Parallel()
	for _, legacy := range []bool{false, true} {
		s := emulatortest.New(t)
		if legacy {
			if err := s.UseLegacySMTPForm(); err != nil {
				t.Fatal(err)
			}
		}
		body := map[string]any{"SmtpHost": "smtp.example.com", "SmtpPort": 587, "SendEmailFrom": "octopus@example.com", "EnableSsl": true, "Timeout": 12000}
		if legacy {
			body["SmtpLogin"] = "mailer"
			body["SmtpPassword"] = map[string]any{"HasValue": true, "NewValue": "smtp-pw"}
		} else {
			body["Details"] = map[string]any{"CredentialType": "UsernamePassword", "SmtpLogin": "mailer",
				"SmtpPassword": map[string]any{"HasValue": true, "NewValue": "smtp-pw"}}
		}
		must(t, do(t, s, http.MethodPut, "/api/smtpconfiguration", body), http.StatusOK)
		got := must(t, do(t, s, http.MethodGet, "/api/smtpconfiguration", nil), http.StatusOK)
		if bytes.Contains(got.Raw, []byte("smtp-pw")) {
			t.Fatalf("GET carries the password: %s", got.Raw)
		}
		holder := got.Body
		if !legacy {
			holder, _ = got.Body["Details"].(map[string]any)
		} else if _, ok := got.Body["Details"]; ok {
			t.Errorf("legacy form serves Details: %s", got.Raw)
		}
		if holder["SmtpLogin"] != "mailer" || holder["SmtpPassword"].(map[string]any)["HasValue"] != true {
			t.Errorf("legacy=%v: %s", legacy, got.Raw)
		}
		conf := must(t, do(t, s, http.MethodGet, "/api/smtpconfiguration/isconfigured", nil), http.StatusOK).Body
		if conf["IsConfigured"] != true {
			t.Errorf("isconfigured = %v", conf)
		}
	}
}

func TestAuditStreamMasksTokens(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	fresh := must(t, do(t, s, http.MethodGet, "/api/audit-stream", nil), http.StatusOK).Body
	if fresh["Active"] != false {
		t.Fatalf("fresh audit stream = %v", fresh)
	}
	must(t, do(t, s, http.MethodPut, "/api/audit-stream", map[string]any{"Active": true, "Description": "splunk",
		"StreamConfigurationResource": map[string]any{"SplunkEndpoint": "https://splunk:8088", "SplunkEventCollectorToken": "hec-token"}}), http.StatusOK)
	got := must(t, do(t, s, http.MethodGet, "/api/audit-stream", nil), http.StatusOK)
	if bytes.Contains(got.Raw, []byte("hec-token")) {
		t.Fatalf("GET carries the token: %s", got.Raw)
	}
	sc := got.Body["StreamConfigurationResource"].(map[string]any)
	if sc["SplunkEndpoint"] != "https://splunk:8088" || sc["SplunkEventCollectorToken"].(map[string]any)["HasValue"] != true {
		t.Errorf("stream = %v", sc)
	}
}

func TestServerConfigurationAndRetention(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	sc := must(t, do(t, s, http.MethodGet, "/api/serverconfiguration", nil), http.StatusOK).Body
	if sc["ServerUri"] != s.URL() {
		t.Errorf("ServerUri = %v", sc["ServerUri"])
	}
	must(t, do(t, s, http.MethodPut, "/api/configuration/retention-default", map[string]any{"RetentionDays": 7}), http.StatusOK)
	if r := must(t, do(t, s, http.MethodGet, "/api/configuration/retention-default", nil), http.StatusOK).Body; r["RetentionDays"] != float64(7) {
		t.Errorf("retention = %v", r)
	}
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	created := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/subscriptions", map[string]any{"Name": "Deploys",
		"EventNotificationSubscription": map[string]any{"WebhookURI": "https://hooks.example.com", "WebhookHeaderKey": "X-Token", "WebhookHeaderValue": "hook-secret"}}), http.StatusCreated)
	if bytes.Contains(created.Raw, []byte("hook-secret")) {
		t.Fatalf("create answer carries the header value: %s", created.Raw)
	}
	ens := created.Body["EventNotificationSubscription"].(map[string]any)
	if ens["EmailPriority"] != "Normal" || ens["WebhookHeaderValue"].(map[string]any)["HasValue"] != true {
		t.Errorf("subscription = %s", created.Raw)
	}
	all := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/subscriptions/all", nil), http.StatusOK)
	if len(all.Array) != 1 {
		t.Errorf("all = %s", all.Raw)
	}
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/subscriptions", map[string]any{"Name": "Deploys"}), http.StatusBadRequest)
}

func TestSettingsPersist(t *testing.T) {
	t.Parallel()
	s, state := startWithState(t)
	must(t, do(t, s, http.MethodPut, "/api/configuration/webportal/values", map[string]any{"Security": map[string]any{"CorsWhitelist": "https://a.example.com"}}), http.StatusOK)
	if err := s.SetAuthProviders("authentication-usernamepassword"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := emulatortest.New(t, withState(state))
	wp := must(t, do(t, s2, http.MethodGet, "/api/configuration/webportal/values", nil), http.StatusOK).Body
	if wp["Security"].(map[string]any)["CorsWhitelist"] != "https://a.example.com" {
		t.Errorf("webportal after restart = %v", wp)
	}
	if slices.Contains(sectionIDs(t, s2), "authentication-aad") {
		t.Error("provider choice lost on restart")
	}
}
