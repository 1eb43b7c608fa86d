package runbooks

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/scripts"
	"github.com/octofleet/octofleet/steps"
)

// builtInFeed is the Id of every space's built-in package feed.
const builtInFeed = "feeds-builtin"

// TagSetName is the tenant tag set whose tags name each tenant's pattern.
const TagSetName = "Octofleet"

// Pattern tags, as canonical names for register-tenant.
const (
	TagManagedSpace    = TagSetName + "/Managed space"
	TagManagedInstance = TagSetName + "/Managed instance"
	TagFacade          = TagSetName + "/Facade"
)

// Bundle returns what `octofleet install` puts into a management space, from
// the embedded files: it writes the step templates of each script syntax
// into dir (seed-templates reads Library files) and turns the project
// document into steps' types. The bundle's templates and runbooks are the
// Bash ones; Renderings holds both syntaxes'. pkg is the package carrying
// the binaries (nil: none).
func Bundle(dir string, pkg *steps.PackageFile) (steps.InstallBundle, error) {
	all, err := Files()
	if err != nil {
		return steps.InstallBundle{}, err
	}
	for _, syntax := range Syntaxes {
		if err := os.MkdirAll(filepath.Join(dir, templatesDir(syntax)), 0o755); err != nil {
			return steps.InstallBundle{}, err
		}
	}
	for path, b := range all {
		if strings.HasPrefix(path, "step-templates") {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), b, 0o644); err != nil {
				return steps.InstallBundle{}, err
			}
		}
	}
	doc, err := EmbeddedProject()
	if err != nil {
		return steps.InstallBundle{}, err
	}
	b := steps.InstallBundle{
		Project: steps.Project{
			Name: doc.Name, Description: doc.Description, LifecycleID: doc.Lifecycle, ProjectGroupID: doc.ProjectGroup,
			TenantedDeploymentMode: doc.TenantedDeploymentMode, DefaultGuidedFailureMode: "EnvironmentDefault",
		},
		TagSet: steps.TagSetInput{Name: TagSetName, Tags: []steps.TagInput{
			{Name: "Managed space", Color: "#1F77B4"}, {Name: "Managed instance", Color: "#FF7F0E"}, {Name: "Facade", Color: "#2CA02C"},
		}},
		Variables:         map[string]string{VarSeedTemplates: "*"},
		SensitiveVariable: VarHubAPIKey,
		Package:           pkg,
		Renderings:        map[string]steps.InstallRendering{},
		DriftRunbook:      RunbookCheckDrift,
	}
	for _, p := range doc.Templates {
		b.Project.Templates = append(b.Project.Templates, parameter(p))
	}
	for _, syntax := range Syntaxes {
		r, err := rendering(dir, syntax, doc)
		if err != nil {
			return steps.InstallBundle{}, err
		}
		b.Renderings[syntax] = r
	}
	b.Rendering = b.Renderings[SyntaxBash]
	return b, nil
}

// rendering is the part of the bundle in one script syntax: the templates'
// folder and the runbooks whose steps run them.
func rendering(dir, syntax string, doc Project) (steps.InstallRendering, error) {
	ts, err := StepTemplatesFor(syntax)
	if err != nil {
		return steps.InstallRendering{}, err
	}
	byName := map[string]StepTemplate{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	r := steps.InstallRendering{Syntax: syntax, TemplatesDir: filepath.Join(dir, templatesDir(syntax))}
	for _, rb := range doc.Runbooks {
		irb := steps.InstallRunbook{Runbook: steps.Runbook{
			Name: rb.Name, Description: rb.Description, EnvironmentScope: rb.EnvironmentScope,
			MultiTenancyMode: rb.MultiTenancyMode, DefaultGuidedFailureMode: "EnvironmentDefault",
		}}
		for _, st := range rb.Steps {
			t, ok := byName[st.StepTemplate]
			if !ok {
				return steps.InstallRendering{}, fmt.Errorf("runbook %q step %q: no step template %q", rb.Name, st.Name, st.StepTemplate)
			}
			irb.Process.Steps = append(irb.Process.Steps, processStep(st, t))
		}
		r.Runbooks = append(r.Runbooks, irb)
	}
	if t, ok := byName[TemplateName("promote")]; ok {
		r.Promotion = steps.Process{Steps: []steps.ProcessStep{processStep(promotionStep(), t)}}
	}
	return r, nil
}

func parameter(p Parameter) steps.TemplateParameter {
	tp := steps.TemplateParameter{Name: p.Name, Label: p.Label, HelpText: p.HelpText, DisplaySettings: maps.Clone(p.DisplaySettings)}
	tp.Default = steps.PropertyValue{Value: p.DefaultValue}
	if p.DisplaySettings[controlType] == sensitive {
		tp.Default = steps.PropertyValue{Sensitive: true, Value: p.DefaultValue, HasValue: p.DefaultValue != ""}
	}
	return tp
}

// processStep is a runbook step running template t, in the space-independent
// form seed-templates uses: the template by name at its latest version, the
// package from the built-in feed. As the server does when a step is added
// from a template, the template's properties are copied into the action.
func processStep(st RunbookStep, t StepTemplate) steps.ProcessStep {
	props := maps.Clone(t.Properties)
	props["Octopus.Action.Template.Id"] = t.Name
	props["Octopus.Action.Template.Version"] = "latest"
	props["Octopus.Action.RunOnServer"] = "true"
	for _, k := range slices.Sorted(maps.Keys(st.Parameters)) {
		props[k] = st.Parameters[k]
	}
	var pkgs []steps.TemplatePackage
	for _, p := range t.Packages {
		pkgs = append(pkgs, steps.TemplatePackage{Name: p.Name, PackageID: p.PackageID, FeedID: builtInFeed,
			AcquisitionLocation: p.AcquisitionLocation, Properties: maps.Clone(p.Properties)})
	}
	ps := steps.ProcessStep{
		Name: st.Name, Condition: "Success", StartTrigger: "StartAfterPrevious", PackageRequirement: "LetOctopusDecide",
		Actions: []steps.ProcessAction{{Name: st.Name, ActionType: t.ActionType, Packages: pkgs, Properties: props}},
	}
	if st.Condition != "" {
		ps.Condition = st.Condition
	}
	if st.ConditionExpression != "" {
		ps.Properties = map[string]string{"Octopus.Step.ConditionVariableExpression": st.ConditionExpression}
	}
	return ps
}

// semver is the version shape the built-in feed accepts.
var semver = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)(\+[0-9A-Za-z.-]+)?$`)

// PackageVersion turns a build's version into a package version: a
// semantic version as it is (without a leading v), anything else (a
// development build) 0.0.0-dev.
func PackageVersion(version string) string {
	if m := semver.FindStringSubmatch(version); m != nil {
		return m[1]
	}
	return "0.0.0-dev"
}

// Targets are the OS/architecture pairs build.sh builds a binary for by
// default, and so the workers a release package serves.
var Targets = []string{"linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"}

// BinaryName is the name of the binary for target ("linux/arm64") in the
// package and in dist/: octofleet_linux_arm64, octofleet_windows_amd64.exe.
func BinaryName(target string) string {
	goos, arch, _ := strings.Cut(target, "/")
	name := PackageID + "_" + goos + "_" + arch
	if goos == "windows" {
		name += ".exe"
	}
	return name
}

// binaryTarget is the inverse of BinaryName ("" for any other name).
func binaryTarget(name string) string {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(name, ".exe"), PackageID+"_")
	goos, arch, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || goos == "" || arch == "" || strings.Contains(arch, "_") || (strings.HasSuffix(name, ".exe") != (goos == "windows")) {
		return ""
	}
	return goos + "/" + arch
}

// Package builds the octofleet package for the built-in feed around one
// binary built for this host (runtime.GOOS/GOARCH): what install uploads
// from a single binary, for workers like this machine.
func Package(binary []byte, version string) (*steps.PackageFile, error) {
	return PackageBinaries(map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: binary}, version)
}

// BinariesIn reads the binaries named octofleet_<os>_<arch>[.exe] in dir
// (build.sh's dist/), by target.
func BinariesIn(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		t := binaryTarget(e.Name())
		if t == "" || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[t] = b
	}
	return out, nil
}

// PackageBinaries builds the octofleet package for the built-in feed:
// octofleet.<version>.tar.gz holding each binary as BinaryName(target), the
// launcher as "octofleet" (what the Bash step templates run; it picks the
// binary for the worker, and step.ps1 does the same), and the embedded
// runbook files. The archive has fixed times and order, so the same binaries
// always give the same file and hash, and install uploads it only once.
func PackageBinaries(binaries map[string][]byte, version string) (*steps.PackageFile, error) {
	if len(binaries) == 0 {
		return nil, fmt.Errorf("package: no binaries")
	}
	version = PackageVersion(version)
	all, err := Files()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// Stored, not compressed: compressing the binaries costs seconds on
	// every install (more under the race detector), while a larger upload
	// costs little; build.sh's release packages are compressed.
	zw, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	add := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add(PackageID, 0o755, []byte(scripts.Launcher)); err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	for _, t := range slices.Sorted(maps.Keys(binaries)) {
		if binaryTarget(BinaryName(t)) != t {
			return nil, fmt.Errorf("package: %q is not an os/arch target", t)
		}
		if err := add(BinaryName(t), 0o755, binaries[t]); err != nil {
			return nil, fmt.Errorf("package: %w", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if err := add("runbooks/"+name, 0o644, all[name]); err != nil {
			return nil, fmt.Errorf("package: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	sum := sha1.Sum(buf.Bytes())
	return &steps.PackageFile{
		Name: PackageID + "." + version + ".tar.gz", PackageID: PackageID, Version: version,
		Data: buf.Bytes(), Hash: hex.EncodeToString(sum[:]),
	}, nil
}

// PackageTargets lists the targets whose binaries a package file holds
// (a .tar.gz or .zip), sorted.
func PackageTargets(p *steps.PackageFile) ([]string, error) {
	var names []string
	if strings.HasSuffix(p.Name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(p.Data), int64(len(p.Data)))
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(p.Data))
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("package %s: %w", p.Name, err)
			}
			names = append(names, h.Name)
		}
	}
	var out []string
	for _, n := range names {
		if t := binaryTarget(strings.TrimPrefix(n, "./")); t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ReadPackage reads a package file built by build.sh
// (octofleet.<version>.tar.gz or .zip).
func ReadPackage(path string) (*steps.PackageFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read package: %w", err)
	}
	name := filepath.Base(path)
	var version string
	for _, ext := range []string{".tar.gz", ".zip"} {
		if v, ok := strings.CutSuffix(strings.TrimPrefix(name, PackageID+"."), ext); ok && strings.HasPrefix(name, PackageID+".") {
			version = v
		}
	}
	if !semver.MatchString(version) {
		return nil, fmt.Errorf("package %s: the name is not %s.<version>.tar.gz or .zip", name, PackageID)
	}
	sum := sha1.Sum(data)
	return &steps.PackageFile{Name: name, PackageID: PackageID, Version: version, Data: data, Hash: hex.EncodeToString(sum[:])}, nil
}
