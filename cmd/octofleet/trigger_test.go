package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestTriggerCmd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script string
		args   []string
		code   int
		stdout []string // each must appear in stdout
		stderr []string // each must appear in stderr
		runs   int      // upstream runbook runs afterwards
	}{
		{name: "octopus output", script: `echo "Hello from #{Octopus.Tenant.Name}"`, args: []string{"--output", "octopus"},
			stdout: []string{"Hello from Acme", serviceMessage("TaskState", "Success"), "##octopus[setVariable name='" + b64("TaskId") + "'"}, runs: 1},
		{name: "failure", script: `echo "broken for #{Octopus.Tenant.Name}"; exit 3`, args: []string{"--output", "octopus"}, code: exitFailure,
			stdout: []string{"broken for Acme", serviceMessage("TaskState", "Failed")}, stderr: []string{"ended Failed"}, runs: 1},
		{name: "json keeps stdout one document", script: `echo "Hello from #{Octopus.Tenant.Name}"`, args: []string{"--output", "json"},
			stdout: []string{`"TaskState": "Success"`}, stderr: []string{"Hello from Acme"}, runs: 1},
		{name: "no wait", script: `echo "Hello from #{Octopus.Tenant.Name}"`, args: []string{"--no-wait"},
			stdout: []string{"Started runbook run \"Customer operations/Say hello\" for tenant \"Acme\"", "TaskId = ServerTasks-"}, runs: 1},
		{name: "dry run", script: `echo hi`, args: []string{"--dry-run"},
			stdout: []string{`+ create runbook run "Customer operations/Say hello"`, `tenant: "Acme"`}, runs: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newFacadeWorld(t, tc.script)
			args := append([]string{"--server", w.h.emu.URL(), "--api-key", w.mgmtKey, "trigger", "--space", "Management",
				"--project", "Customer operations", "--tenant", "Acme", "--environment", "Production", "--runbook", "Say hello"}, tc.args...)
			r := w.h.runRaw(t, "", args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if strings.Contains(tc.args[0], "json") {
				var doc map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Errorf("stdout is not one JSON document: %v\n%s", err, r.stdout)
				}
			}
			if strings.Contains(r.stdout+r.stderr, w.mgmtKey) {
				t.Error("the API key appears in the output")
			}
			if err := w.h.emu.WaitForTasks(context.Background()); err != nil {
				t.Fatal(err)
			}
			var runs struct{ Items []map[string]any }
			emulatortest.Call(t, w.h.emu, http.MethodGet, "/api/"+w.SpaceID+"/runbookRuns", nil, &runs)
			if len(runs.Items) != tc.runs {
				t.Errorf("%d runbook runs, want %d", len(runs.Items), tc.runs)
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
