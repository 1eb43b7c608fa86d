package secrettest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/secrettest"
)

// recorder is a testing.TB that keeps failures and cleanups to itself.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, a ...any) { r.errs = append(r.errs, format) }
func (r *recorder) Cleanup(f func())               { r.cleanups = append(r.cleanups, f) }
func (r *recorder) end() {
	for _, f := range r.cleanups {
		f()
	}
}

func TestFindsSecretsInEveryOutput(t *testing.T) {
	dir := t.TempDir()
	r := &recorder{TB: t}
	s := secrettest.New(r, "API-SECRET0000", "")
	s.Add("hunter2-password")
	s.Check("stdout", "all fine")
	if len(r.errs) != 0 {
		t.Fatalf("clean text failed: %v", r.errs)
	}
	s.Check("stderr", "error: key API-SECRET0000 refused")
	if len(r.errs) != 1 {
		t.Fatalf("a secret in stderr: %d failures, want 1", len(r.errs))
	}
	log := s.Logger("emulator log")
	log.Debug("request", "body", "hunter2-password")
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"key": "API-SECRET0000"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.WatchDir(dir)
	s.WatchFile(filepath.Join(dir, "missing.json"))
	s.Watch("plan", func() string { return "nothing here" })
	r.end()
	if len(r.errs) != 3 {
		t.Errorf("after the test: %d failures, want 3 (stderr, the log, the report)", len(r.errs))
	}
	if short := secrettest.Short("API-SECRET0000"); strings.Contains(short, "SECRET0000") {
		t.Errorf("Short repeats the secret: %s", short)
	}
}
