package emulator_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// Proxies, git credentials, deployment freezes, space retention policies
// and build information through raw HTTP: create -> get -> list ->
// modify -> delete, secrets never served, bad input refused naming the
// field, and the permissions each needs.

func TestProxies(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	p := must(t, do(t, s, "POST", sp+"/proxies", map[string]any{"Name": "Corp", "Host": "proxy.corp", "Port": 3128,
		"Username": "u", "Password": map[string]any{"HasValue": true, "NewValue": "pr0xy-pass"}}), 201).Body
	id := str(p, "Id")
	got := must(t, do(t, s, "GET", sp+"/proxies/"+id, nil), 200)
	if str(got.Body, "ProxyType") != "HTTP" || got.Body["Port"] != float64(3128) || strings.Contains(string(got.Raw), "pr0xy-pass") {
		t.Errorf("served %s", got.Raw)
	}
	if pw, _ := got.Body["Password"].(map[string]any); pw["HasValue"] != true {
		t.Errorf("Password %v", pw)
	}
	if l := ids(t, do(t, s, "GET", sp+"/proxies?partialName=cor", nil)); len(l) != 1 || l[0] != id {
		t.Errorf("partialName listed %v", l)
	}
	if all := must(t, do(t, s, "GET", sp+"/proxies/all", nil), 200).Array; len(all) != 1 {
		t.Errorf("all: %v", all)
	}
	got.Body["Port"] = 8080
	upd := must(t, do(t, s, "PUT", sp+"/proxies/"+id, got.Body), 200).Body
	if upd["Port"] != float64(8080) || upd["Password"].(map[string]any)["HasValue"] != true {
		t.Errorf("after PUT %v", upd)
	}
	for field, body := range map[string]map[string]any{
		"Host":      {"Name": "No host"},
		"Port":      {"Name": "Bad port", "Host": "h", "Port": 70000},
		"ProxyType": {"Name": "Socks", "Host": "h", "ProxyType": "SOCKS"},
	} {
		r := do(t, s, "POST", sp+"/proxies", body)
		if r.Status != 400 || !strings.Contains(string(r.Raw), field) {
			t.Errorf("%s: %d %s", field, r.Status, r.Raw)
		}
	}
	viewer := emulatortest.NewUser(t, s, "env-viewer", emulatortest.Grant{Role: "Environment viewer", SpaceID: "Spaces-1"})
	must(t, do(t, s, "GET", sp+"/proxies/"+id, nil, viewer.APIKey), 200)
	denied(t, do(t, s, "DELETE", sp+"/proxies/"+id, nil, viewer.APIKey), "ProxyDelete")
	must(t, do(t, s, "DELETE", sp+"/proxies/"+id, nil), 200)
	must(t, do(t, s, "GET", sp+"/proxies/"+id, nil), 404)
}

func TestGitCredentials(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	body := map[string]any{"Name": "GitHub", "Details": map[string]any{"Type": "UsernamePassword", "Username": "bot",
		"Password": map[string]any{"HasValue": true, "NewValue": "ghp_secret"}}}
	id := str(must(t, do(t, s, "POST", sp+"/git-credentials", body), 201).Body, "Id")
	got := must(t, do(t, s, "GET", sp+"/git-credentials/"+id, nil), 200)
	if strings.Contains(string(got.Raw), "ghp_secret") {
		t.Fatalf("the password is served: %s", got.Raw)
	}
	det, _ := got.Body["Details"].(map[string]any)
	if det["Username"] != "bot" || det["Password"].(map[string]any)["HasValue"] != true {
		t.Errorf("Details %v", det)
	}
	if rr, _ := got.Body["RepositoryRestrictions"].(map[string]any); rr["Enabled"] != false {
		t.Errorf("RepositoryRestrictions %v", rr)
	}
	if l := ids(t, do(t, s, "GET", sp+"/git-credentials?name=github", nil)); len(l) != 1 {
		t.Errorf("name=github listed %v", l)
	}
	v1 := must(t, do(t, s, "GET", sp+"/git-credentials/"+id+"/v1", nil), 200).Body
	if g, _ := v1["GitCredential"].(map[string]any); str(g, "Id") != id {
		t.Errorf("v1 get %v", v1)
	}
	list := must(t, do(t, s, "GET", sp+"/git-credentials/v1", nil), 200).Body
	if g, _ := list["GitCredentials"].(map[string]any); g["TotalResults"] != float64(1) {
		t.Errorf("v1 list %v", list)
	}
	// Modify keeps the unsent password; usage lists the projects using it.
	got.Body["Description"] = "bot account"
	must(t, do(t, s, "PUT", sp+"/git-credentials/"+id, got.Body), 200)
	use := must(t, do(t, s, "GET", sp+"/git-credentials/"+id+"/usage", nil), 200).Body
	if p, _ := use["Projects"].([]any); len(p) != 0 || use["OtherProjects"] != float64(0) {
		t.Errorf("usage %v", use)
	}
	for _, bad := range []map[string]any{
		{"Name": "No user", "Details": map[string]any{"Type": "UsernamePassword", "Password": map[string]any{"HasValue": true, "NewValue": "x"}}},
		{"Name": "No password", "Details": map[string]any{"Type": "UsernamePassword", "Username": "u"}},
		{"Name": "Anon", "Details": map[string]any{"Type": "Anonymous"}},
	} {
		if r := do(t, s, "POST", sp+"/git-credentials", bad); r.Status != 400 || !strings.Contains(string(r.Raw), "Details.") {
			t.Errorf("%v: %d %s", bad["Name"], r.Status, r.Raw)
		}
	}
	viewer := emulatortest.NewUser(t, s, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	denied(t, do(t, s, "POST", sp+"/git-credentials", body, viewer.APIKey), "GitCredentialEdit")
	must(t, do(t, s, "DELETE", sp+"/git-credentials/"+id+"/v1", nil), 200)
	must(t, do(t, s, "GET", sp+"/git-credentials/"+id, nil), 404)
}

func TestDeploymentFreezes(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	env := str(must(t, do(t, s, "POST", sp+"/environments", map[string]any{"Name": "Production"}), 201).Body, "Id")
	lc := str(items(t, must(t, do(t, s, "GET", sp+"/lifecycles", nil), 200))[0], "Id")
	pg := str(items(t, must(t, do(t, s, "GET", sp+"/projectgroups", nil), 200))[0], "Id")
	proj := str(must(t, do(t, s, "POST", sp+"/projects", map[string]any{"Name": "Web", "LifecycleId": lc, "ProjectGroupId": pg}), 201).Body, "Id")
	freeze := func(name, start, end string) map[string]any {
		return map[string]any{"Name": name, "Start": start, "End": end, "ProjectEnvironmentScope": map[string]any{proj: []any{env}}}
	}
	past := str(must(t, do(t, s, "POST", "/api/deploymentfreezes", freeze("Last year", "2020-12-24T00:00:00Z", "2020-12-27T00:00:00Z")), 201).Body, "Id")
	future := must(t, do(t, s, "POST", "/api/deploymentfreezes", freeze("Far future", "2090-12-24T00:00:00Z", "2090-12-27T00:00:00Z")), 201).Body
	if _, has := future["Links"]; has || future["Description"] != "" {
		t.Errorf("served %v", future)
	}
	list := func(q string) (names []string, count float64) {
		b := must(t, do(t, s, "GET", "/api/deploymentfreezes?skip=0"+q, nil), 200).Body
		for _, f := range b["DeploymentFreezes"].([]any) {
			names = append(names, str(f.(map[string]any), "Name"))
		}
		return names, b["Count"].(float64)
	}
	if n, c := list(""); len(n) != 2 || c != 2 || n[0] != "Last year" {
		t.Errorf("listed %v (Count %v)", n, c)
	}
	if n, _ := list("&includeComplete=false"); len(n) != 1 || n[0] != "Far future" {
		t.Errorf("includeComplete=false listed %v", n)
	}
	if n, _ := list("&status=Expired"); len(n) != 1 || n[0] != "Last year" {
		t.Errorf("status=Expired listed %v", n)
	}
	if n, _ := list("&effectiveDate=2090-12-25T00:00:00Z&status=Active"); len(n) != 1 || n[0] != "Far future" {
		t.Errorf("active at 2090-12-25: %v", n)
	}
	if n, _ := list("&projectIds=Projects-999"); len(n) != 0 {
		t.Errorf("projectIds=Projects-999 listed %v", n)
	}
	if n, c := list("&take=1"); len(n) != 1 || c != 2 {
		t.Errorf("take=1: %v (Count %v)", n, c)
	}
	future["Description"] = "Christmas"
	must(t, do(t, s, "PUT", "/api/deploymentfreezes/"+str(future, "Id"), future), 200)
	if g := must(t, do(t, s, "GET", "/api/deploymentfreezes/"+str(future, "Id"), nil), 200).Body; g["Description"] != "Christmas" {
		t.Errorf("after PUT %v", g)
	}
	for field, body := range map[string]map[string]any{
		"End":                     freeze("Backwards", "2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z"),
		"Start":                   {"Name": "No start", "End": "2030-01-01T00:00:00Z"},
		"ProjectEnvironmentScope": {"Name": "Ghost", "Start": "2030-01-01T00:00:00Z", "End": "2030-01-02T00:00:00Z", "ProjectEnvironmentScope": map[string]any{"Projects-999": []any{env}}},
	} {
		if r := do(t, s, "POST", "/api/deploymentfreezes", body); r.Status != 400 || !strings.Contains(string(r.Raw), field) {
			t.Errorf("%s: %d %s", field, r.Status, r.Raw)
		}
	}
	// DeploymentFreezeAdminister is held by space managers; viewers read.
	viewer := emulatortest.NewUser(t, s, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	manager := emulatortest.NewUser(t, s, "manager", emulatortest.Grant{Role: "Space manager", SpaceID: "Spaces-1"})
	must(t, do(t, s, "GET", "/api/deploymentfreezes?skip=0&take=10", nil, viewer.APIKey), 200)
	denied(t, do(t, s, "DELETE", "/api/deploymentfreezes/"+past, nil, viewer.APIKey), "DeploymentFreezeAdminister")
	must(t, do(t, s, "DELETE", "/api/deploymentfreezes/"+past, nil, manager.APIKey), 200)
	if perm, system := emulator.PermissionFor("POST", "/api/deploymentfreezes"); perm != "DeploymentFreezeAdminister" || !system {
		t.Errorf("PermissionFor POST deploymentfreezes = %s, %v", perm, system)
	}
}

func TestSpaceRetentionPolicies(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	for _, typ := range []string{"LifecycleRelease", "LifecycleTentacle", "RunbookRetention"} {
		p := must(t, do(t, s, "GET", sp+"/retentionpolicies?retentionType="+typ, nil), 200).Body
		if str(p, "RetentionType") != typ || str(p, "SpaceId") != "Spaces-1" || str(p, "Strategy") != "Count" {
			t.Errorf("%s: %v", typ, p)
		}
	}
	p := must(t, do(t, s, "GET", sp+"/retentionpolicies?RetentionType=RunbookRetention", nil), 200).Body
	if p["QuantityToKeep"] != float64(100) || p["Unit"] != "Items" {
		t.Errorf("runbook retention %v", p)
	}
	p["Strategy"], p["QuantityToKeep"], p["Unit"] = "Count", 5, "Items"
	must(t, do(t, s, "PUT", sp+"/retentionpolicies/"+str(p, "Id"), p), 200)
	again := must(t, do(t, s, "GET", sp+"/retentionpolicies?retentionType=RunbookRetention", nil), 200).Body
	if again["QuantityToKeep"] != float64(5) {
		t.Errorf("after PUT %v", again)
	}
	for field, change := range map[string]map[string]any{
		"Strategy":       {"Strategy": "Sometimes"},
		"QuantityToKeep": {"Strategy": "Count", "QuantityToKeep": 0},
		"Unit":           {"Strategy": "Forever", "Unit": "Weeks"},
		"RetentionType":  {"RetentionType": "LifecycleRelease"},
	} {
		body := map[string]any{}
		for k, v := range again {
			body[k] = v
		}
		for k, v := range change {
			body[k] = v
		}
		if r := do(t, s, "PUT", sp+"/retentionpolicies/"+str(p, "Id"), body); r.Status != 400 || !strings.Contains(string(r.Raw), field) {
			t.Errorf("%s: %d %s", field, r.Status, r.Raw)
		}
	}
	if r := do(t, s, "GET", sp+"/retentionpolicies?retentionType=Weekly", nil); r.Status != 400 || !strings.Contains(string(r.Raw), "retentionType") {
		t.Errorf("unknown type: %d %s", r.Status, r.Raw)
	}
	// A new space gets its own three.
	other := str(must(t, do(t, s, "POST", "/api/spaces", map[string]any{"Name": "Other", "SpaceManagersTeams": []any{"teams-administrators"}}), 201).Body, "Id")
	o := must(t, do(t, s, "GET", "/api/"+other+"/retentionpolicies?retentionType=RunbookRetention", nil), 200).Body
	if str(o, "SpaceId") != other || o["QuantityToKeep"] != float64(100) {
		t.Errorf("new space's policy %v", o)
	}
	viewer := emulatortest.NewUser(t, s, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	denied(t, do(t, s, "PUT", sp+"/retentionpolicies/"+str(p, "Id"), again, viewer.APIKey), "LifecycleEdit")
}

func TestBuildInformation(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	push := func(pkg, version, mode, build string) response {
		return do(t, s, "POST", sp+"/build-information", map[string]any{"PackageId": pkg, "Version": version, "OverwriteMode": mode,
			"OctopusBuildInformation": map[string]any{"BuildNumber": build, "Branch": "main", "VcsType": "Git",
				"VcsRoot": "https://git.example/app.git", "VcsCommitNumber": "c0ffee",
				"Commits": []any{map[string]any{"Id": "c0ffee", "Comment": "Ship it"}}}})
	}
	b := must(t, push("app", "1.0.0", "", "1"), 200).Body
	if b["VcsCommitUrl"] != "https://git.example/app/commit/c0ffee" || str(b, "PackageId") != "app" {
		t.Errorf("served %v", b)
	}
	if c := b["Commits"].([]any)[0].(map[string]any); c["LinkUrl"] != "https://git.example/app/commit/c0ffee" {
		t.Errorf("commit %v", c)
	}
	if r := push("app", "1.0.0", "", "2"); r.Status != 400 {
		t.Errorf("second push FailIfExists: %d", r.Status)
	}
	if r := must(t, push("app", "1.0.0", "IgnoreIfExists", "2"), 200); r.Body["BuildNumber"] != "1" {
		t.Errorf("IgnoreIfExists replaced it: %v", r.Body)
	}
	if r := must(t, push("app", "1.0.0", "OverwriteExisting", "3"), 200); r.Body["BuildNumber"] != "3" || str(r.Body, "Id") != str(b, "Id") {
		t.Errorf("OverwriteExisting: %v", r.Body)
	}
	must(t, push("app", "1.1.0", "", "4"), 200)
	other := str(must(t, push("lib", "2.0.0", "", "5"), 200).Body, "Id")
	if l := items(t, must(t, do(t, s, "GET", sp+"/build-information?packageId=app&latest=true", nil), 200)); len(l) != 1 || str(l[0], "Version") != "1.1.0" {
		t.Errorf("latest app: %v", l)
	}
	if l := items(t, must(t, do(t, s, "GET", sp+"/build-information?partialPackageId=ap&filter=1.0.0", nil), 200)); len(l) != 1 {
		t.Errorf("partialPackageId + filter: %v", l)
	}
	for field, body := range map[string]map[string]any{
		"PackageId":               {"Version": "1"},
		"Version":                 {"PackageId": "x"},
		"OctopusBuildInformation": {"PackageId": "x", "Version": "1"},
		"OverwriteMode":           {"PackageId": "x", "Version": "1", "OctopusBuildInformation": map[string]any{}, "OverwriteMode": "Maybe"},
	} {
		if r := do(t, s, "POST", sp+"/build-information", body); r.Status != 400 || !strings.Contains(string(r.Raw), field) {
			t.Errorf("%s: %d %s", field, r.Status, r.Raw)
		}
	}
	viewer := emulatortest.NewUser(t, s, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	denied(t, push2(t, s, viewer.APIKey), "BuildInformationPush")
	must(t, do(t, s, "DELETE", sp+"/build-information/bulk", map[string]any{"Ids": []any{str(b, "Id"), other}}), 200)
	if l := items(t, must(t, do(t, s, "GET", sp+"/build-information", nil), 200)); len(l) != 1 || str(l[0], "Version") != "1.1.0" {
		t.Errorf("after bulk delete: %v", l)
	}
}

func push2(t *testing.T, s *emulator.Server, key string) response {
	return do(t, s, "POST", sp+"/build-information", map[string]any{"PackageId": "p", "Version": "1",
		"OctopusBuildInformation": map[string]any{}}, key)
}

func TestCertificatePermissions(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	file, err := emulator.SelfSignedCertificate("perm.example", time.Now(), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	data := base64.StdEncoding.EncodeToString(file)
	id := str(must(t, do(t, s, "POST", sp+"/certificates", map[string]any{"Name": "Perm",
		"CertificateData": map[string]any{"HasValue": true, "NewValue": data}}), 201).Body, "Id")
	viewer := emulatortest.NewUser(t, s, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	must(t, do(t, s, "GET", sp+"/certificates/"+id, nil, viewer.APIKey), 200)
	denied(t, do(t, s, "POST", sp+"/certificates/"+id+"/archive", nil, viewer.APIKey), "CertificateEdit")
	resp, _ := emulator.SendRequest(t, s, "GET", sp+"/certificates/"+id+"/export", "", nil, viewer.APIKey)
	if resp.StatusCode != 200 {
		t.Errorf("viewer exporting the certificate alone: %d", resp.StatusCode)
	}
	denied(t, do(t, s, "GET", sp+"/certificates/"+id+"/export?includePrivateKey=true", nil, viewer.APIKey), "CertificateExportPrivateKey")
	manager := emulatortest.NewUser(t, s, "certs", emulatortest.Grant{Role: "Certificate manager", SpaceID: "Spaces-1"})
	must(t, do(t, s, "POST", sp+"/certificates/"+id+"/archive", nil, manager.APIKey), 200)
}

func TestFeedPackageSearch(t *testing.T) {
	t.Parallel()
	w := newPermWorld(t)
	s := w.s
	for _, v := range []string{"1.1.0-beta.1", "2.0.0"} {
		must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.projA, "Version": v}), 201)
	}
	feed := sp + "/feeds/feeds-builtin-releases/packages"
	versions := func(q string) string {
		var out []string
		for _, it := range items(t, must(t, do(t, s, "GET", feed+"/versions?packageId="+w.projA+q, nil), 200)) {
			out = append(out, str(it, "Version"))
		}
		return strings.Join(out, " ")
	}
	for q, want := range map[string]string{
		"":                            "2.0.0 1.1.0-beta.1 1.0.0",
		"&includePreRelease=false":    "2.0.0 1.0.0",
		"&versionRange=[1.0.0,2.0.0)": "1.1.0-beta.1 1.0.0",
		"&versionRange=(1.0.0,]":      "2.0.0 1.1.0-beta.1",
		"&versionRange=[2.0.0]":       "2.0.0",
		"&preReleaseTag=^beta":        "1.1.0-beta.1",
		"&filter=2.0":                 "2.0.0",
		"&take=1&skip=1":              "1.1.0-beta.1",
		"&versionRange=1.1.0":         "2.0.0", // a pre-release sorts before its release
	} {
		if got := versions(q); got != want {
			t.Errorf("versions%s = %q, want %q", q, got, want)
		}
	}
	if r := do(t, s, "GET", feed+"/versions?packageId="+w.projA+"&versionRange=[1.0", nil); r.Status != 400 || !strings.Contains(string(r.Raw), "versionRange") {
		t.Errorf("bad range: %d %s", r.Status, r.Raw)
	}
	if r := do(t, s, "GET", feed+"/versions", nil); r.Status != 400 || !strings.Contains(string(r.Raw), "packageId") {
		t.Errorf("no packageId: %d %s", r.Status, r.Raw)
	}
	// The latest version of each package, or every one.
	latest := must(t, do(t, s, "GET", feed+"?packageIds="+w.projA+","+w.projB, nil), 200).Array
	if len(latest) != 2 || latest[0].(map[string]any)["Version"] != "2.0.0" || latest[1].(map[string]any)["Version"] != "1.0.0" {
		t.Errorf("latest: %v", latest)
	}
	if all := must(t, do(t, s, "GET", feed+"?packageId="+w.projA+"&includeMultipleVersions=true&includePreRelease=true", nil), 200).Array; len(all) != 3 {
		t.Errorf("every version: %v", all)
	}
	must(t, do(t, s, "POST", sp+"/build-information", map[string]any{"PackageId": w.projA, "Version": "2.0.0",
		"OctopusBuildInformation": map[string]any{"BuildNumber": "99"}}), 200)
	withInfo := must(t, do(t, s, "GET", feed+"?packageId="+w.projA, nil), 200).Array[0].(map[string]any)
	if bi, _ := withInfo["PackageVersionBuildInformation"].(map[string]any); bi["BuildNumber"] != "99" {
		t.Errorf("build information of the version: %v", withInfo["PackageVersionBuildInformation"])
	}
	found := items(t, must(t, do(t, s, "GET", feed+"/search?term="+strings.ToLower(w.projA), nil), 200))
	if len(found) != 1 || str(found[0], "LatestVersion") != "2.0.0" {
		t.Errorf("search: %v", found)
	}
	if notes := must(t, do(t, s, "GET", sp+"/feeds/feeds-builtin/packages/notes?packageId=x&version=1", nil), 404); notes.Status != 404 {
		t.Errorf("notes of a missing package: %d", notes.Status)
	}
	list := must(t, do(t, s, "GET", sp+"/packages/notes?packageIds=packages-nope.1.0.0", nil), 200).Body
	if p := list["Packages"].([]any); len(p) != 1 || p[0].(map[string]any)["Notes"].(map[string]any)["Succeeded"] != false {
		t.Errorf("notes list: %v", list)
	}
	must(t, do(t, s, "GET", sp+"/feeds/Feeds-999/packages", nil), 404)
}
