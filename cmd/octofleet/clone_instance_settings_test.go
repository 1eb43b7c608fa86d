package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// The clone-instance-settings tests are not parallel: the command dials
// with internal/octopus.Dial directly, and go-octopusdeploy's NewClient is
// not safe to call concurrently (see harness.runRaw).

const (
	cloneAADSecret  = "aad-CLI-secret-value"
	cloneSMTPSecret = "smtp-CLI-secret-value"
)

// clonePair is a source harness (the global connection) and a target.
type clonePair struct {
	src *harness
	tgt *emulator.Server
}

func newClonePair(t *testing.T) *clonePair {
	t.Helper()
	p := &clonePair{src: newHarness(t),
		tgt: emulatortest.New(t, func(o *emulator.Options) { o.APIKey = "API-CLITARGET000000000000000000" })}
	var aad map[string]any
	emulatortest.Call(t, p.src.emu, http.MethodGet, "/api/configuration/authentication-aad/values", nil, &aad)
	aad["IsEnabled"], aad["ClientId"] = true, "client"
	aad["ClientSecret"] = map[string]any{"HasValue": true, "NewValue": "aad-SOURCE-value"}
	emulatortest.Call(t, p.src.emu, http.MethodPut, "/api/configuration/authentication-aad/values", aad, nil)
	emulatortest.Call(t, p.src.emu, http.MethodPut, "/api/configuration/webportal/values",
		map[string]any{"Security": map[string]any{"CorsWhitelist": "https://portal.example.com"}}, nil)
	emulatortest.Call(t, p.src.emu, http.MethodPut, "/api/smtpconfiguration", map[string]any{"SmtpHost": "smtp.example.com", "SmtpPort": 587,
		"Details": map[string]any{"CredentialType": "UsernamePassword", "SmtpLogin": "mailer", "SmtpPassword": map[string]any{"HasValue": true, "NewValue": "smtp-SOURCE-value"}}}, nil)
	p.src.emu.ResetRequests()
	p.tgt.ResetRequests()
	p.src.secrets.Add(cloneAADSecret, cloneSMTPSecret, "aad-SOURCE-value", "smtp-SOURCE-value", p.tgt.APIKey())
	return p
}

// run runs octofleet with the source as the global connection.
func (p *clonePair) run(t *testing.T, args ...string) result {
	t.Helper()
	return p.src.run(t, "", args...)
}

func (p *clonePair) input(t *testing.T, backupDir string) string {
	t.Helper()
	doc, err := json.Marshal(map[string]any{
		"include":   []string{"authentication", "smtp", "webPortal"},
		"secrets":   map[string]string{"authentication-aad.ClientSecret": cloneAADSecret, "smtp.Details.SmtpPassword": cloneSMTPSecret},
		"backupDir": backupDir,
		"overrides": map[string]any{"smtp": map[string]any{"SendEmailFrom": "octopus-{{ .Tenant.Slug }}@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "clone.json", string(doc))
}

func TestCloneInstanceSettingsCmd(t *testing.T) {
	p := newClonePair(t)
	backups := t.TempDir()
	p.src.secrets.WatchDir(backups)
	in := p.input(t, backups)
	target := []string{"--target-server", p.tgt.URL(), "--target-api-key", p.tgt.APIKey()}
	clone := append([]string{"clone-instance-settings", "--input", in, "--tenant-slug", "eu"}, target...)

	// Drift check: exit 2 and write nothing.
	r := p.run(t, append(clone, "--dry-run", "--exit-code")...)
	if r.code != exitChanges || !strings.Contains(r.stdout, "webportal") || !strings.Contains(r.stdout, "(sensitive)") {
		t.Fatalf("drift check: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := p.tgt.Writes(); len(w) != 0 {
		t.Fatalf("--dry-run wrote %v", w)
	}

	r = p.run(t, append(clone, "--output", "json")...)
	if r.code != exitOK {
		t.Fatalf("apply: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	entries, err := os.ReadDir(backups)
	if err != nil || len(entries) != 1 {
		t.Fatalf("backups = %v, %v", entries, err)
	}
	backup := filepath.Join(backups, entries[0].Name())
	if !strings.Contains(r.stdout, entries[0].Name()) {
		t.Errorf("the output does not name the backup file:\n%s", r.stdout)
	}
	var smtp map[string]any
	emulatortest.Call(t, p.tgt, http.MethodGet, "/api/smtpconfiguration", nil, &smtp)
	if smtp["SendEmailFrom"] != "octopus-eu@example.com" || smtp["SmtpHost"] != "smtp.example.com" {
		t.Errorf("target smtp = %v", smtp)
	}

	// Converged: the drift check passes and a re-run writes nothing.
	p.tgt.ResetRequests()
	if r := p.run(t, append(clone, "--dry-run", "--exit-code")...); r.code != exitOK {
		t.Errorf("drift check after apply: code %d\n%s", r.code, r.stdout)
	}
	if r := p.run(t, clone...); r.code != exitOK {
		t.Errorf("re-run: code %d\n%s", r.code, r.stderr)
	}
	if w := p.tgt.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %v", w)
	}

	// Restore puts the target back: the drift check fails again.
	tg := &harness{emu: p.tgt, secrets: p.src.secrets}
	if r := tg.run(t, "", "restore-instance-settings", "--from", backup); r.code != exitOK {
		t.Fatalf("restore: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var wp map[string]any
	emulatortest.Call(t, p.tgt, http.MethodGet, "/api/configuration/webportal/values", nil, &wp)
	if got := wp["Security"].(map[string]any)["CorsWhitelist"]; got != "" {
		t.Errorf("CorsWhitelist after restore = %v", got)
	}
	if r := p.run(t, append(clone, "--dry-run", "--exit-code")...); r.code != exitChanges {
		t.Errorf("drift check after restore: code %d", r.code)
	}
}

func TestCloneInstanceSettingsCmdTargetFromEnv(t *testing.T) {
	p := newClonePair(t)
	t.Setenv("OCTOFLEET_TARGET_URL", p.tgt.URL())
	t.Setenv("OCTOFLEET_TARGET_API_KEY", p.tgt.APIKey())
	r := p.run(t, "clone-instance-settings", "--include", "webPortal", "--backup-dir", t.TempDir())
	if r.code != exitOK {
		t.Fatalf("code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var wp map[string]any
	emulatortest.Call(t, p.tgt, http.MethodGet, "/api/configuration/webportal/values", nil, &wp)
	if got := wp["Security"].(map[string]any)["CorsWhitelist"]; got != "https://portal.example.com" {
		t.Errorf("CorsWhitelist = %v", got)
	}
}

func TestCloneInstanceSettingsCmdErrors(t *testing.T) {
	p := newClonePair(t)
	target := []string{"--target-server", p.tgt.URL(), "--target-api-key", p.tgt.APIKey()}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no target", []string{"clone-instance-settings"}, exitUsage, "the target instance is required"},
		{"target without key", []string{"clone-instance-settings", "--target-server", p.tgt.URL()}, exitUsage, "--target-api-key"},
		{"unknown group", append([]string{"clone-instance-settings", "--include", "licence"}, target...), exitUsage, "include[0]"},
		{"missing secret", append([]string{"clone-instance-settings", "--include", "authentication"}, target...), exitUsage, `"authentication-aad.ClientSecret"`},
		{"unreachable target", []string{"clone-instance-settings", "--target-server", "http://127.0.0.1:1", "--target-api-key", p.tgt.APIKey()}, exitFailure, "connect to target instance http://127.0.0.1:1"},
		{"unauthorised target", []string{"clone-instance-settings", "--target-server", p.tgt.URL(), "--target-api-key", "API-WRONGKEY0000000000000000"}, exitFailure, "connect to target instance"},
		{"unauthorised source", append([]string{"clone-instance-settings", "--source-server", p.src.emu.URL(), "--source-api-key", "API-WRONGKEY0000000000000000"}, target...), exitFailure, "connect to source instance"},
		{"restore without backup", []string{"restore-instance-settings"}, exitUsage, "from: is required"},
		{"restore from a missing file", []string{"restore-instance-settings", "--from", filepath.Join(t.TempDir(), "nope.json")}, exitUsage, "read backup"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.run(t, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("code %d, want %d; stderr lacks %q:\n%s", r.code, c.code, c.want, r.stderr)
			}
			if w := append(p.tgt.Writes(), p.src.emu.Writes()...); len(w) != 0 {
				t.Errorf("wrote %v", w)
			}
		})
	}
}
