package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/octofleet/octofleet/steps"
)

// Browser tests: headless Chromium (Debian's chromium package; .ci/run
// installs it) driven by chromedp against the UI and two emulators. They
// skip only when no browser is found and CI is unset: in CI a missing
// browser fails them. Screenshots go to $OCTOFLEET_UI_SCREENSHOTS, or the
// test's temporary folder.

func browserPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("OCTOFLEET_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (/usr/bin/chromium) and CI is set: install it (apt-get install -y chromium)")
	}
	t.Skip("no Chromium found at /usr/bin/chromium: install Debian's chromium package to run the browser tests")
	return ""
}

// browser starts a headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := browserPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute) // a bound under -race on a loaded machine, not a measure
	t.Cleanup(cancel3)
	return ctx
}

// screenshot saves the whole page as a PNG (FullScreenshot is PNG only at
// quality 100, JPEG below).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	saveScreenshot(t, name, png)
}

// viewportScreenshot saves what the window shows (1280×900) as a PNG.
func viewportScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	saveScreenshot(t, name, png)
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("OCTOFLEET_UI_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

func signInBrowser(t *testing.T, ctx context.Context, base, name, pw string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#signin")),
		// The page after the form's POST: signed in, or told why not.
		// Waiting on "body" would return on the sign-in page itself, and
		// a navigation then aborts the submission (net::ERR_ABORTED).
		chromedp.WaitVisible(chromedp.CSS(".signout, #login-error")),
	); err != nil {
		t.Fatalf("sign in as %s: %v", name, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowserOperatorDeploys: sign-in (a wrong password first), the
// overview with both instances, the space dashboard, a deployment for a
// tenant through the confirmation (double-clicked), its live log, its
// success and the audit log; then the viewer's and the customer
// operator's views.
func TestBrowserOperatorDeploys(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	fx := newFixture(t)
	if err := os.WriteFile(fx.hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	u := fx.start(t)
	base := u.http.URL

	signInBrowser(t, ctx, base, "bob", "not the password")
	if got := text(t, ctx, "#login-error"); !strings.Contains(got, "Wrong name or password") {
		t.Errorf("wrong password page says %q", got)
	}
	signInBrowser(t, ctx, base, "bob", password)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#instances"))); err != nil {
		t.Fatal(err)
	}
	instances := text(t, ctx, "#instances")
	for _, want := range []string{"hub", "eu", fx.hub.ServerVersion(), "yes"} {
		if !strings.Contains(instances, want) {
			t.Errorf("instances table lacks %q: %s", want, instances)
		}
	}
	screenshot(t, ctx, "overview")

	navigate(t, ctx, base+"/spaces/hub/Spaces-1")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#matrix"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "space-dashboard")
	acme := fx.shop.Tenants["Acme"]
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/deploy?instance=hub&space=Spaces-1&project="+fx.shop.ProjectID+"&tenant="+acme),
		chromedp.WaitVisible(chromedp.CSS("#deploy-form")),
		chromedp.Click(chromedp.CSS("#review")),
		chromedp.WaitVisible(chromedp.CSS("#confirmation")),
	); err != nil {
		t.Fatalf("deploy form: %v", err)
	}
	if got := text(t, ctx, "#confirmation"); !strings.Contains(got, "Shop 1.0.0") || !strings.Contains(got, "Acme") || !strings.Contains(got, "Production") {
		t.Errorf("confirmation says %q", got)
	}
	screenshot(t, ctx, "confirm")
	// A double click on Confirm: two submissions of the same form.
	if err := chromedp.Do(ctx, chromedp.DoubleClick(chromedp.CSS("#confirm")), chromedp.WaitVisible(chromedp.CSS("#job"))); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#task-link")), chromedp.Click(chromedp.CSS("#task-link")),
		chromedp.WaitVisible(chromedp.CSS("#log"))); err != nil {
		t.Fatalf("task page: %v", err)
	}
	// The log streams while the task runs.
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById("log").innerText.includes("deploying 1.0.0 for Acme")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("live log: %v", err)
	}
	if got := text(t, ctx, "#task-state"); got != "Executing" {
		t.Errorf("task state while held: %q", got)
	}
	screenshot(t, ctx, "task-live")
	if err := os.Remove(fx.hold); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById("task-state").innerText === "Success" && document.getElementById("log").innerText.includes("deployed")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("task end: %v (state %q)", err, text(t, ctx, "#task-state"))
	}
	if n := fx.deployments(t); n != 1 {
		t.Errorf("%d deployments after a double click, want 1", n)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/tasks"), chromedp.WaitVisible(chromedp.CSS("#tasks"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "tasks")
	waitFor(t, "the audit log to show the end", func() bool {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("#audit"))); err != nil {
			t.Fatal(err)
		}
		s := text(t, ctx, "#audit")
		return strings.Contains(s, "deploy Shop 1.0.0 to Production for Acme") && strings.Contains(s, "ended: Success")
	})
	screenshot(t, ctx, "audit")

	// The viewer has no deploy button. A fresh browser per user: a
	// sign-out click races the overview's own reload.
	ctx = browser(t)
	signInBrowser(t, ctx, base, "vic", password)
	navigate(t, ctx, base+"/spaces/hub/Spaces-1")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#matrix"))); err != nil {
		t.Fatal(err)
	}
	deployButtons, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("a.deploy").length`))
	if err != nil {
		t.Fatal(err)
	}
	if deployButtons != 0 {
		t.Errorf("the viewer sees %d deploy buttons", deployButtons)
	}
	// The customer's operator sees only Contoso.
	ctx = browser(t)
	signInBrowser(t, ctx, base, "contoso-ops", password)
	navigate(t, ctx, base+"/spaces/hub/Spaces-1")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#matrix"))); err != nil {
		t.Fatal(err)
	}
	matrix := text(t, ctx, "#matrix")
	if !strings.Contains(matrix, "Contoso") || strings.Contains(matrix, "Acme") {
		t.Errorf("contoso-ops's matrix: %q", matrix)
	}
	screenshot(t, ctx, "customer-dashboard")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/tasks"), chromedp.WaitVisible(chromedp.CSS("#tasks"))); err != nil {
		t.Fatal(err)
	}
	tasks := text(t, ctx, "#tasks")
	if strings.Contains(tasks, "Acme") {
		t.Errorf("contoso-ops sees Acme's task: %q", tasks)
	}
}

// TestBrowserExpiredSession: a session past its lifetime goes back to
// the sign-in page.
func TestBrowserExpiredSession(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	fx := newFixture(t)
	fx.cfg.SessionTTL = "1s"
	u := fx.start(t)
	signInBrowser(t, ctx, u.http.URL, "alice", password)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#instances"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the session's real lifetime
	if err := chromedp.Do(ctx, chromedp.Navigate(u.http.URL+"/tasks"), chromedp.WaitVisible(chromedp.CSS("#name"))); err != nil {
		t.Fatalf("expired session: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "/login?next=%2Ftasks") {
		t.Errorf("expired session landed on %s", loc)
	}
}

// navigate loads url, again when the page it leaves reloads itself (a
// meta refresh) at the same moment and aborts the navigation.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	var err error
	for range 5 {
		if err = chromedp.Do(ctx, chromedp.Navigate(url)); err == nil || !strings.Contains(err.Error(), "ERR_ABORTED") {
			break
		}
	}
	if err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
}

// TestBrowserFleetOverview: the fleet overview over fleettest's fleet in
// a browser: both instances, the four tenants with their patterns, and
// each tenant's last runs, whose links open the run's task. Its
// screenshot (fleet-overview.png) is the README's docs/ui-overview.png.
func TestBrowserFleetOverview(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	f, u, ran := fleetUI(t)
	signInBrowser(t, ctx, u.http.URL, "alice", password)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#tenants"))); err != nil {
		t.Fatal(err)
	}
	instances := text(t, ctx, "#instances")
	for _, want := range []string{"hub", "regional", f.Hub.ServerVersion(), f.Regional.ServerVersion()} {
		if !strings.Contains(instances, want) {
			t.Errorf("instances table lacks %q: %s", want, instances)
		}
	}
	tenants := text(t, ctx, "#tenants")
	for _, want := range []string{"Business Unit A", "Business Unit B", "EU Region", "Contoso", "managed space", "managed instance", "facade",
		"Create Space: Success", "Create Space: Failed"} {
		if !strings.Contains(tenants, want) {
			t.Errorf("tenants table lacks %q: %s", want, tenants)
		}
	}
	viewportScreenshot(t, ctx, "fleet-overview")
	failed := ran["Business Unit B"].TaskID
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/tasks/hub/`+failed+`"]`)), chromedp.WaitVisible(chromedp.CSS("#log"))); err != nil {
		t.Fatalf("the failed run's task page: %v", err)
	}
	if got := text(t, ctx, "#task-state"); got != steps.TaskFailed {
		t.Errorf("the failed run's task page says its state is %q", got)
	}
}
