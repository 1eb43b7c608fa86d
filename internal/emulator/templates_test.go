package emulator

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestActionTemplateVersions(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	at := post(t, s, sp+"/actiontemplates", map[string]any{
		"Name": "Greet", "ActionType": "Octopus.Script", "Description": "v0", "Invented": true,
		"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo hi"},
		"Parameters": []any{
			map[string]any{"Name": "Who", "DefaultValue": "world"},
			map[string]any{"Name": "Token", "DefaultValue": map[string]any{"HasValue": true, "NewValue": "t0ken"}},
		},
	}).(map[string]any)
	id := field(at, "Id")
	if at["Version"] != float64(0) || at["Invented"] != nil {
		t.Fatalf("created: %v", at)
	}
	params := at["Parameters"].([]any)
	tokenID := field(params[1], "Id")
	if field(params[0], "Id") == "" || tokenID == "" {
		t.Fatalf("parameters without Ids: %v", params)
	}
	if dv := params[1].(map[string]any)["DefaultValue"].(map[string]any); dv["HasValue"] != true || dv["NewValue"] != nil {
		t.Fatalf("sensitive default served as %v", dv)
	}
	secret := func() any {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.st.get(actionTemplatesKind.Name, "Spaces-1", id).secrets["Parameters/["+tokenID+"]/DefaultValue"]
	}
	if secret() != "t0ken" {
		t.Fatalf("stored secret = %v", secret())
	}

	path := sp + "/actiontemplates/" + id
	put := func(mutate func(map[string]any)) map[string]any {
		t.Helper()
		cur := get(t, s, path).(map[string]any)
		mutate(cur)
		return conformanceCall(t, s, http.MethodPut, path, cur, http.StatusOK).(map[string]any)
	}
	for _, step := range []struct {
		name    string
		mutate  func(map[string]any)
		version float64
	}{
		{"unchanged", func(map[string]any) {}, 0},
		{"description", func(d map[string]any) { d["Description"] = "v1" }, 1},
		{"secret kept", func(map[string]any) {}, 1},
		{"new secret", func(d map[string]any) {
			d["Parameters"].([]any)[1].(map[string]any)["DefaultValue"] = map[string]any{"HasValue": true, "NewValue": "n3w"}
		}, 2},
	} {
		if got := put(step.mutate)["Version"]; got != step.version {
			t.Errorf("%s: version %v, want %v", step.name, got, step.version)
		}
	}
	if secret() != "n3w" {
		t.Errorf("secret after update = %v", secret())
	}
	for v, desc := range map[string]string{"0": "v0", "1": "v1", "2": "v1"} {
		old := get(t, s, path+"/versions/"+v).(map[string]any)
		if field(old, "Id") != id || field(old, "Description") != desc || old["Version"] != float64(v[0]-'0') {
			t.Errorf("version %s: %v", v, old)
		}
	}
	conformanceCall(t, s, http.MethodGet, path+"/versions/7", nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodDelete, path, nil, http.StatusOK)
	conformanceCall(t, s, http.MethodGet, path+"/versions/0", nil, http.StatusNotFound)
}

func TestActionTemplateValidation(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	post(t, s, sp+"/actiontemplates", map[string]any{"Name": "Taken", "ActionType": "Octopus.Script"})
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no action type", map[string]any{"Name": "A"}, "ActionType"},
		{"number property", map[string]any{"Name": "A", "ActionType": "Octopus.Script", "Properties": map[string]any{"X": 1}}, "X"},
		{"parameter without name", map[string]any{"Name": "A", "ActionType": "Octopus.Script", "Parameters": []any{map[string]any{"Label": "L"}}}, "Name"},
		{"duplicate name", map[string]any{"Name": "TAKEN", "ActionType": "Octopus.Script"}, "already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conformanceCall(t, s, http.MethodPost, sp+"/actiontemplates", tc.body, http.StatusBadRequest)
		})
	}
}

func TestCommunityTemplateInstallation(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	list := get(t, s, "/api/communityactiontemplates?take=1").(map[string]any)
	if list["TotalResults"] != float64(1) {
		t.Fatalf("catalogue: %v", list)
	}
	comm := list["Items"].([]any)[0].(map[string]any)
	cid := field(comm, "Id")
	if cid != "CommunityActionTemplates-1" || field(comm, "Type") != "Octopus.Script" || comm["Version"] != float64(2) ||
		!strings.HasPrefix(field(comm, "Website"), "https://library.octopus.com/step-templates/9c0e5fd4-") {
		t.Fatalf("community template: %v", comm)
	}
	conformanceCall(t, s, http.MethodGet, "/api/communityactiontemplates/all", nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodPost, "/api/communityactiontemplates", comm, http.StatusMethodNotAllowed)

	// Installing without a space means the default space.
	at := post(t, s, "/api/communityactiontemplates/"+cid+"/installation", nil).(map[string]any)
	if field(at, "CommunityActionTemplateId") != cid || field(at, "SpaceId") != "Spaces-1" || at["Version"] != float64(2) || field(at, "ActionType") != "Octopus.Script" {
		t.Fatalf("installed: %v", at)
	}
	r := conformanceCall(t, s, http.MethodPost, "/api/communityactiontemplates/"+cid+"/installation/Spaces-1", nil, http.StatusBadRequest)
	if !strings.Contains(field(r, "ErrorMessage")+strings.Join(anyStrings(r.(map[string]any)["Errors"].([]any)), " "), "Action Template already installed") {
		t.Errorf("second install: %v", r)
	}
	at["Description"] = "edited"
	r = conformanceCall(t, s, http.MethodPut, sp+"/actiontemplates/"+field(at, "Id"), at, http.StatusBadRequest)
	if !strings.Contains(strings.Join(anyStrings(r.(map[string]any)["Errors"].([]any)), " "), "Only custom templates can be directly updated") {
		t.Errorf("edit installed template: %v", r)
	}
	updated := conformanceCall(t, s, http.MethodPut, "/api/communityactiontemplates/"+cid+"/installation/Spaces-1", nil, http.StatusOK).(map[string]any)
	if field(updated, "Id") != field(at, "Id") || field(updated, "Description") != "d" {
		t.Errorf("updated installation: %v", updated)
	}
	got := get(t, s, "/api/communityactiontemplates/"+cid+"/actiontemplate/Spaces-1")
	if field(got, "Id") != field(at, "Id") {
		t.Errorf("installed template lookup: %v", got)
	}

	// Another space has its own installation.
	other := field(post(t, s, "/api/spaces", map[string]any{"Name": "Other", "SpaceManagersTeams": []string{"teams-administrators"}}), "Id")
	conformanceCall(t, s, http.MethodGet, "/api/communityactiontemplates/"+cid+"/actiontemplate/"+other, nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodPut, "/api/communityactiontemplates/"+cid+"/installation/"+other, nil, http.StatusBadRequest)
	inOther := post(t, s, "/api/communityactiontemplates/"+cid+"/installation/"+other, nil)
	if field(inOther, "SpaceId") != other {
		t.Errorf("install into %s: %v", other, inOther)
	}
	conformanceCall(t, s, http.MethodPost, "/api/communityactiontemplates/"+cid+"/installation/Spaces-999", nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodPost, "/api/communityactiontemplates/CommunityActionTemplates-9/installation", nil, http.StatusNotFound)

	search := get(t, s, "/api/"+other+"/actiontemplates/search").([]any)
	var installed, builtIn bool
	for _, x := range search {
		m := x.(map[string]any)
		if field(m, "CommunityActionTemplateId") == cid {
			installed = m["IsInstalled"] == true && field(m, "Category") == "other"
		}
		builtIn = builtIn || (m["IsBuiltIn"] == true && field(m, "Type") == "Octopus.Script")
	}
	if !installed || !builtIn {
		t.Errorf("search: %v", search)
	}
	cats := get(t, s, sp+"/actiontemplates/categories").([]any)
	if len(cats) == 0 || field(cats[0], "Id") != "other" {
		t.Errorf("categories: %v", cats)
	}
}

func TestCommunityTemplatesFromTheLibrary(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "shared", "octopus-library", "step-templates")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no Library templates at %s", dir)
	}
	s := startServer(t, Options{CommunityTemplatesDir: dir})
	list := get(t, s, "/api/communityactiontemplates?take=1").(map[string]any)
	if list["TotalResults"] != float64(len(files)) {
		t.Fatalf("catalogue has %v templates, the folder %d", list["TotalResults"], len(files))
	}
	// A spread of them installs (their properties and defaults are valid
	// action template values); every 16th keeps the test fast under -race.
	want := 0
	for i := 0; i < len(files); i += 16 {
		id := "CommunityActionTemplates-" + strconv.Itoa(i+1)
		post(t, s, "/api/communityactiontemplates/"+id+"/installation/Spaces-1", nil)
		want++
	}
	all := get(t, s, sp+"/actiontemplates/all").([]any)
	if len(all) != want {
		t.Errorf("%d installed, want %d", len(all), want)
	}
}

// A missing or empty folder is a start-up error, not an empty catalogue.
func TestCommunityTemplatesDirMustHaveTemplates(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "absent")} {
		if s, err := New(Options{CommunityTemplatesDir: dir}); err == nil {
			_ = s.Close()
			t.Errorf("New with %s: no error", dir)
		}
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.json"), []byte(`{"Name": "no type"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := New(Options{CommunityTemplatesDir: bad}); err == nil {
		_ = s.Close()
		t.Error("New with a template without ActionType: no error")
	}
}
