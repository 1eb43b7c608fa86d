package runbooks

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// distDir writes a stand-in binary for each target into a folder laid out
// as build.sh's dist/; each prints its target and its arguments.
func distDir(t *testing.T, targets ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, target := range targets {
		fake := "#!/bin/sh\necho \"binary=" + target + "\"\nfor a in \"$@\"; do echo \"arg=$a\"; done\n"
		if err := os.WriteFile(filepath.Join(dir, BinaryName(target)), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// What else build.sh leaves in dist/ is not a binary.
	if err := os.WriteFile(filepath.Join(dir, "octofleet.1.0.0.tar.gz"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// extract unpacks a .tar.gz package into a new folder, modes kept, as
// Calamari extracts it on a worker.
func extract(t *testing.T, data []byte) (string, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, os.FileMode(h.Mode)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, modes
}

// TestPackageHoldsEveryTarget: the package built from dist/ holds every
// binary build.sh builds, under its target's name, executable, beside the
// launcher and the runbook files; PackageTargets reads them back.
func TestPackageHoldsEveryTarget(t *testing.T) {
	t.Parallel()
	bins, err := BinariesIn(distDir(t, Targets...))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := PackageBinaries(bins, "v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name != "octofleet.1.4.0.tar.gz" {
		t.Errorf("name %q", pkg.Name)
	}
	got, err := PackageTargets(pkg)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(Targets))
	if !slices.Equal(got, want) {
		t.Fatalf("package holds %v, want %v", got, want)
	}
	_, modes := extract(t, pkg.Data)
	for _, name := range []string{"octofleet", "octofleet_linux_amd64", "octofleet_linux_arm64", "octofleet_darwin_arm64", "octofleet_windows_amd64.exe"} {
		if modes[name] != 0o755 {
			t.Errorf("%s: mode %o, want 755", name, modes[name])
		}
	}
	if _, ok := modes["runbooks/"+TemplateFile("create-space")]; !ok {
		t.Errorf("no runbook files in the package: %v", modes)
	}
	again, err := PackageBinaries(bins, "1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if again.Hash != pkg.Hash {
		t.Error("the same binaries give another package")
	}
	if _, err := PackageBinaries(map[string][]byte{"linux": {1}}, "1.0.0"); err == nil {
		t.Error("a target without an architecture was packaged")
	}
}

// fakeUname puts a uname on PATH that reports kernel and machine.
func fakeUname(t *testing.T, kernel, machine string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\ncase \"$1\" in\n-s) echo " + shq(kernel) + " ;;\n-m) echo " + shq(machine) + " ;;\n*) echo " + shq(kernel) + " ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "uname"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// TestStepScriptPicksWorkerBinary runs a step template's Bash script on the
// extracted package with a fake uname for each kind of worker: it runs the
// binary for that OS and architecture, or fails with one line naming the
// worker and what the package holds.
func TestStepScriptPicksWorkerBinary(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bins, err := BinariesIn(distDir(t, Targets...))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := PackageBinaries(bins, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := extract(t, pkg.Data)
	body := template(t, TemplateName("create-space")).Properties["Octopus.Action.Script.ScriptBody"]
	lookup := "get_octopusvariable() {\n  case \"$1\" in\n  'Octopus.Action.Package[octofleet].ExtractedPath') printf '%s' " + shq(dir) + " ;;\n" +
		"  Octofleet.In.name) printf 'Acme' ;;\n  *) ;;\n  esac\n}\n"
	for _, c := range []struct{ kernel, machine, want, fail string }{
		{"Linux", "x86_64", "linux/amd64", ""},
		{"Linux", "aarch64", "linux/arm64", ""},
		{"Linux", "arm64", "linux/arm64", ""},
		{"Darwin", "arm64", "darwin/arm64", ""},
		{"MINGW64_NT-10.0-20348", "x86_64", "windows/amd64", ""},
		{"MSYS_NT-10.0-19045", "x86_64", "windows/amd64", ""},
		{"CYGWIN_NT-10.0", "x86_64", "windows/amd64", ""},
		{"Darwin", "x86_64", "", "this worker is darwin/amd64 (Darwin x86_64), but the octofleet package holds binaries for darwin/arm64, linux/amd64, linux/arm64, windows/amd64 only"},
		{"Linux", "riscv64", "", "this worker is linux/riscv64 (Linux riscv64)"},
		{"FreeBSD", "amd64", "", "this worker is freebsd/amd64 (FreeBSD amd64)"},
	} {
		cmd := exec.Command(sh, "-c", lookup+body)
		cmd.Env = append(os.Environ(), "PATH="+fakeUname(t, c.kernel, c.machine))
		out, err := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if c.fail != "" {
			if err == nil || len(lines) != 1 || !strings.Contains(lines[0], c.fail) {
				t.Errorf("%s %s: err %v, output:\n%s\nwant one line with %q", c.kernel, c.machine, err, out, c.fail)
			}
			continue
		}
		if err != nil || lines[0] != "binary="+c.want || !slices.Contains(lines, "arg=create-space") || !slices.Contains(lines, "arg=Acme") {
			t.Errorf("%s %s: err %v, output:\n%s\nwant binary=%s running create-space", c.kernel, c.machine, err, out, c.want)
		}
	}
}

// TestSingleBinaryPackageRunsHere: the package built from one binary (what
// install uploads without dist/) runs on workers like this host.
func TestSingleBinaryPackageRunsHere(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	pkg, err := Package([]byte("#!/bin/sh\necho here \"$@\"\n"), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := extract(t, pkg.Data)
	out, err := exec.Command(filepath.Join(dir, "octofleet"), "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "here version" {
		t.Fatalf("launcher: %v\n%s", err, out)
	}
}
