package ui_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSecurityOverHTTP checks on the server what the buttons only show:
// sign-in, CSRF, roles and tenant scopes, with the emulator as witness
// that a refused request started nothing.
func TestSecurityOverHTTP(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	u := fx.start(t)

	if _, status := u.signIn(t, "alice", "wrong password"); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", status)
	}
	alice, status := u.signIn(t, "alice", password)
	if status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	_, body := alice.get("/")
	contains(t, "overview", body, `data-instance="hub"`, `data-instance="eu"`, "Default", fx.hub.ServerVersion())
	for _, key := range []string{fx.hub.APIKey(), fx.eu.APIKey()} {
		if strings.Contains(body, key) {
			t.Errorf("the overview shows an API key")
		}
	}

	// A POST without the CSRF token is refused.
	if status, _ := alice.post("/deploy", url.Values{"csrf": {""}}); status != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d, want 403", status)
	}
	// A viewer gets 403 from the deploy endpoint and sees no deploy button.
	vic, _ := u.signIn(t, "vic", password)
	if status, _ := vic.post("/deploy", fx.deployForm(t, "viewer-key-0123456789", "Acme")); status != http.StatusForbidden {
		t.Errorf("viewer deploy: %d, want 403", status)
	}
	if _, body := vic.get("/spaces/hub/Spaces-1"); strings.Contains(body, "/deploy?") || !strings.Contains(body, "Shop") {
		t.Errorf("viewer's dashboard has a deploy button or no Shop:\n%s", body)
	}
	// A customer's operator sees only its tenant; a direct POST for another
	// tenant is refused and starts nothing.
	co, _ := u.signIn(t, "contoso-ops", password)
	_, body = co.get("/spaces/hub/Spaces-1")
	if !strings.Contains(body, "Contoso") || strings.Contains(body, "Acme") {
		t.Errorf("contoso-ops's dashboard:\n%s", body)
	}
	if status, _ := co.post("/deploy", fx.deployForm(t, "contoso-key-0123456789", "Acme")); status != http.StatusForbidden {
		t.Errorf("contoso-ops deploying Acme: %d, want 403", status)
	}
	if status, _ := co.post("/deploy", fx.deployForm(t, "contoso-key-0123456789")); status != http.StatusBadRequest {
		t.Errorf("contoso-ops deploying untenanted: %d, want 400", status)
	}
	if err := u.srv.Dispatch(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := fx.deployments(t); n != 0 {
		t.Errorf("%d deployments on the emulator after refused requests", n)
	}
	_, body = alice.get("/audit")
	contains(t, "audit log", body, "denied scope", "denied role", "denied csrf", "refused: wrong name or password")
}

// waitFor polls cond (the UI's pages) for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeployOnceAndRecover: a confirmation sent twice starts one task;
// a UI stopped while the task runs and started again tracks it to its end.
func TestDeployOnceAndRecover(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	if err := os.WriteFile(fx.hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	u := fx.start(t)
	bob, _ := u.signIn(t, "bob", password)
	form := fx.deployForm(t, "double-click-key-0123456789", "Acme")
	var pages []string
	for range 2 {
		status, body := bob.post("/deploy", form)
		if status != http.StatusOK {
			t.Fatalf("deploy: %d\n%s", status, body)
		}
		pages = append(pages, body)
	}
	waitFor(t, "the deployment to start", func() bool { return fx.deployments(t) > 0 })
	_, body := bob.get("/tasks")
	if !strings.Contains(body, "deploy Shop 1.0.0 to Production for Acme") {
		t.Errorf("the task list lacks the deployment:\n%s", body)
	}
	u.stop() // mid-task

	if err := os.Remove(fx.hold); err != nil {
		t.Fatal(err)
	}
	u2 := fx.start(t)
	bob2, _ := u2.signIn(t, "bob", password)
	waitFor(t, "the job to end after the restart", func() bool {
		_, body := bob2.get("/jobs/1")
		return strings.Contains(body, `id="job-state">done`) && strings.Contains(body, "Success")
	})
	if n := fx.deployments(t); n != 1 {
		t.Errorf("%d deployments, want 1", n)
	}
	alice, _ := u2.signIn(t, "alice", password)
	_, body = alice.get("/audit")
	contains(t, "audit log", body, "deploy Shop 1.0.0 to Production for Acme", "queued", "started task", "ended: Success")
}
