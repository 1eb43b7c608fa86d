package octopus

import (
	"errors"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// TestUploadPackage: the upload lands in the built-in feed with its hash; a
// second upload of the version is a conflict unless replace; a dropped
// upload is found in the feed instead of being sent twice.
func TestUploadPackage(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	const space = "Spaces-1"

	if _, err := c.BuiltInPackage(ctx, space, "octofleet", "1.0.0"); !errors.Is(err, steps.ErrNotFound) {
		t.Fatalf("BuiltInPackage before upload: %v, want ErrNotFound", err)
	}
	got, err := c.UploadPackage(ctx, space, "octofleet.1.0.0.tar", []byte("one"), false)
	if err != nil {
		t.Fatal(err)
	}
	// sha1("one")
	if want := "fe05bcdcdc4928012781a5f1a2a77cbb5398e106"; got.Hash != want || got.Version != "1.0.0" || got.PackageID != "octofleet" {
		t.Fatalf("uploaded = %+v, want hash %s", got, want)
	}
	if have, err := c.BuiltInPackage(ctx, space, "octofleet", "1.0.0"); err != nil || have.Hash != got.Hash {
		t.Fatalf("BuiltInPackage = %+v, %v", have, err)
	}
	if _, err := c.UploadPackage(ctx, space, "octofleet.1.0.0.tar", []byte("two"), false); !errors.Is(err, steps.ErrConflict) {
		t.Fatalf("second upload without replace: %v, want ErrConflict", err)
	}
	if got, err := c.UploadPackage(ctx, space, "octofleet.1.0.0.tar", []byte("two"), true); err != nil || got.Hash == "fe05bcdcdc4928012781a5f1a2a77cbb5398e106" {
		t.Fatalf("replace: %+v, %v", got, err)
	}

	emu.DropNext("POST", "/api/"+space+"/packages/raw", 1)
	emu.ResetRequests()
	if _, err := c.UploadPackage(ctx, space, "octofleet.2.0.0.tar", []byte("three"), false); err != nil {
		t.Fatalf("upload whose answer was dropped: %v", err)
	}
	posts := 0
	for _, w := range emu.Writes() {
		if w == "POST /api/"+space+"/packages/raw" {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("the upload was sent %d times, want once: %q", posts, emu.Writes())
	}
	if _, err := c.UploadPackage(ctx, space, "octofleet.tar.gz", []byte("x"), false); err == nil {
		t.Fatal("a file name without a version was accepted")
	}
}

func TestSplitPackageFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, id, version string }{
		{"octofleet.1.2.3.tar.gz", "octofleet", "1.2.3"},
		{"octofleet.0.0.0-dev.zip", "octofleet", "0.0.0-dev"},
		{"My.Package.10.0.1.nupkg", "My.Package", "10.0.1"},
		{"octofleet.tar.gz", "", ""},
		{"octofleet.1.2.3.exe", "", ""},
	} {
		id, version, ok := splitPackageFile(tc.name)
		if id != tc.id || version != tc.version || ok != (tc.id != "") {
			t.Errorf("splitPackageFile(%q) = %q, %q, %v", tc.name, id, version, ok)
		}
	}
}
