package main

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIKeyFile: the key read from --api-key-file, or from file:PATH in
// any *-api-key flag, works and is never printed; a missing or empty file,
// or a key given twice, is bad input (exit 80) with nothing sent.
func TestAPIKeyFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(h.emu.APIKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := h.runRaw(t, "", "--server", h.emu.URL(), "--api-key-file", keyFile, "create-space", "--name", "From a file"); r.code != exitOK {
		t.Fatalf("--api-key-file: exit %d\n%s", r.code, r.stderr)
	}
	if r := h.runRaw(t, "", "--server", h.emu.URL(), "--api-key", "file:"+keyFile, "create-space", "--name", "From a file"); r.code != exitOK || !strings.Contains(r.stdout, "No changes") {
		t.Fatalf("--api-key file:PATH: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Another key flag: doctor's --from-api-key.
	if r := h.runRaw(t, "", "--server", h.emu.URL(), "--api-key-file", keyFile, "doctor", "--from-server", h.emu.URL(), "--from-api-key", "file:"+keyFile); r.code != exitOK {
		t.Fatalf("--from-api-key file:PATH: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	for name, args := range map[string][]string{
		"twice":   {"--api-key", h.emu.APIKey(), "--api-key-file", keyFile},
		"missing": {"--api-key-file", filepath.Join(dir, "nope")},
		"empty":   {"--api-key-file", empty},
		"other":   {"--api-key-file", keyFile, "doctor", "--from-server", h.emu.URL(), "--from-api-key", "file:" + filepath.Join(dir, "nope")},
	} {
		args = append([]string{"--server", h.emu.URL()}, args...)
		if !strings.Contains(strings.Join(args, " "), "doctor") {
			args = append(args, "create-space", "--name", "X")
		}
		r := h.runRaw(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "api-key") {
			t.Errorf("%s: exit %d, want %d naming the flag:\n%s", name, r.code, exitUsage, r.stderr)
		}
	}
	if n := len(h.emu.Requests()); n != 0 {
		t.Errorf("bad key input sent %d requests", n)
	}
}

// TestCACert: a server with a private CA's certificate is refused without
// --ca-cert, trusted with it, and reached unverified only with
// --insecure-skip-tls-verify, which warns.
func TestCACert(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := httptest.NewTLSServer(h.emu)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--server", srv.URL, "--api-key", h.emu.APIKey()}
	if r := h.runRaw(t, "", append(base, "create-space", "--name", "TLS")...); r.code != exitFailure || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("an unknown CA: exit %d, want %d naming the certificate:\n%s", r.code, exitFailure, r.stderr)
	}
	if r := h.runRaw(t, "", append(base, "--ca-cert", ca, "create-space", "--name", "TLS")...); r.code != exitOK || strings.Contains(r.stderr, "warning") {
		t.Errorf("--ca-cert: exit %d\n%s", r.code, r.stderr)
	}
	r := h.runRaw(t, "", append(base, "--insecure-skip-tls-verify", "create-space", "--name", "TLS")...)
	if r.code != exitOK || !strings.Contains(r.stderr, "warning: TLS certificates are not verified") {
		t.Errorf("--insecure-skip-tls-verify: exit %d, want 0 and a warning:\n%s", r.code, r.stderr)
	}
	if r := h.runRaw(t, "", append(base, "--ca-cert", filepath.Join(t.TempDir(), "none.pem"), "create-space", "--name", "TLS")...); r.code != exitUsage || !strings.Contains(r.stderr, "--ca-cert") {
		t.Errorf("a missing --ca-cert: exit %d\n%s", r.code, r.stderr)
	}
}
