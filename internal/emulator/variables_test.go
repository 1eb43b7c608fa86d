package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// These tests look inside the store: a sensitive value is never served, so
// whether a PUT kept or replaced it can only be seen there.

// storedSecret returns the sealed value of a project variable.
func storedSecret(t *testing.T, s *Server, setID, varID string) (any, bool) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.st.get(variableSetsKind.Name, "Spaces-1", setID)
	if rec == nil {
		t.Fatalf("no variable set %s", setID)
	}
	v, ok := rec.secrets["Variables/["+varID+"]/Value"]
	return v, ok
}

func newVariablesServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := newConformanceServer(t)
	f := &fixture{ids: map[string]string{}}
	return s, f.project(t, s)
}

func putVariables(t *testing.T, s *Server, setPath string, vars []any, want int) map[string]any {
	t.Helper()
	vs := get(t, s, setPath).(map[string]any)
	vs["Variables"] = vars
	out, _ := conformanceCall(t, s, http.MethodPut, setPath, vs, want).(map[string]any)
	return out
}

func TestSensitiveVariableRules(t *testing.T) {
	t.Parallel()
	// What a write does to a stored secret, as measured on a real 2026.x
	// server (go-octopusdeploy#449/#450): only the Id decides.
	for _, tc := range []struct {
		name   string
		sendID bool
		value  any
		want   any // the stored secret afterwards; nil = none
	}{
		{"id and empty value keeps", true, "", "original"},
		{"id and null value keeps", true, nil, "original"},
		{"id and new value replaces", true, "changed", "changed"},
		{"no id and empty value wipes", false, "", nil},
		{"no id and null value wipes", false, nil, nil},
		{"no id and new value replaces", false, "changed", "changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, project := newVariablesServer(t)
			setPath := sp + "/projects/" + project + "/variables"
			vs := putVariables(t, s, setPath, []any{map[string]any{"Name": "Password", "Value": "original", "IsSensitive": true}}, http.StatusOK)
			v := vs["Variables"].([]any)[0].(map[string]any)
			if v["Value"] != nil || v["Type"] != "Sensitive" {
				t.Fatalf("served sensitive variable: %v", v)
			}
			if got, _ := storedSecret(t, s, "variableset-"+project, field(v, "Id")); got != "original" {
				t.Fatalf("stored secret = %v", got)
			}
			sent := map[string]any{"Name": "Password", "Value": tc.value, "IsSensitive": true}
			if tc.sendID {
				sent["Id"] = v["Id"]
			}
			vs = putVariables(t, s, setPath, []any{sent}, http.StatusOK)
			v = vs["Variables"].([]any)[0].(map[string]any)
			if tc.sendID && field(v, "Id") != field(sent, "Id") {
				t.Fatalf("Id changed from %v to %v", sent["Id"], v["Id"])
			}
			got, ok := storedSecret(t, s, "variableset-"+project, field(v, "Id"))
			if tc.want == nil && ok {
				t.Errorf("secret = %v, want none", got)
			}
			if tc.want != nil && got != tc.want {
				t.Errorf("secret = %v, want %v", got, tc.want)
			}
			if raw := conformanceRaw(t, s, setPath); strings.Contains(raw, "original") || strings.Contains(raw, "changed") {
				t.Errorf("secret served: %s", raw)
			}
		})
	}
}

func TestVariableSetVersionAndIDs(t *testing.T) {
	t.Parallel()
	s, project := newVariablesServer(t)
	setPath := sp + "/variables/variableset-" + project
	vs := putVariables(t, s, setPath, []any{map[string]any{"Name": "A", "Value": "1"}, map[string]any{"Name": "B", "Value": "2"}}, http.StatusOK)
	if vs["Version"] != float64(1) || field(vs, "OwnerId") != project {
		t.Fatalf("after first write: %v", vs)
	}
	for _, x := range vs["Variables"].([]any) {
		if field(x, "Id") == "" || field(x, "Type") != "String" {
			t.Errorf("variable defaults: %v", x)
		}
	}
	stale := map[string]any{"Id": vs["Id"], "OwnerId": project, "Version": 0, "Variables": []any{}}
	conformanceCall(t, s, http.MethodPut, setPath, stale, http.StatusBadRequest)
	vs["OwnerId"] = "Projects-999" // server-owned: ignored
	vs = conformanceCall(t, s, http.MethodPut, setPath, vs, http.StatusOK).(map[string]any)
	if vs["Version"] != float64(2) || field(vs, "OwnerId") != project {
		t.Errorf("after second write: version %v owner %v", vs["Version"], vs["OwnerId"])
	}
	bad := []any{map[string]any{"Value": "no name"}}
	putVariables(t, s, setPath, bad, http.StatusBadRequest)
	all := get(t, s, sp+"/variables/all").([]any)
	if len(all) != 2 { // the project's and the fixture's library set's
		t.Errorf("variables/all: %d sets", len(all))
	}
	// Variable sets are neither listed page by page nor created or deleted.
	conformanceCall(t, s, http.MethodGet, sp+"/variables", nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodDelete, setPath, nil, http.StatusMethodNotAllowed)
}

func TestLibraryVariableSets(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	f := &fixture{ids: map[string]string{}}
	project := f.project(t, s) // includes the fixture's library set
	lvsID := f.librarySet(t, s)
	lvs := get(t, s, sp+"/libraryvariablesets/"+lvsID).(map[string]any)
	if field(lvs, "VariableSetId") != "variableset-"+lvsID || lvs["Version"] != float64(0) {
		t.Fatalf("library set: %v", lvs)
	}
	links := lvs["Links"].(map[string]any)
	if links["Variables"] != sp+"/variables/variableset-"+lvsID {
		t.Errorf("Links.Variables = %v", links["Variables"])
	}
	owner := get(t, s, sp+"/variables/variableset-"+lvsID).(map[string]any)
	if field(owner, "OwnerId") != lvsID {
		t.Errorf("variable set owner = %v", owner["OwnerId"])
	}
	post(t, s, sp+"/libraryvariablesets", map[string]any{"Name": "Module", "ContentType": "ScriptModule"})
	conformanceCall(t, s, http.MethodPost, sp+"/libraryvariablesets", map[string]any{"Name": "Bad", "ContentType": "Secrets"}, http.StatusBadRequest)
	conformanceCall(t, s, http.MethodPost, sp+"/libraryvariablesets", map[string]any{"Name": "module"}, http.StatusBadRequest)
	for ct, want := range map[string]float64{"ScriptModule": 1, "Variables": 1, "": 2} {
		list := get(t, s, sp+"/libraryvariablesets?contentType="+ct).(map[string]any)
		if list["TotalResults"] != want {
			t.Errorf("contentType=%q: %v results, want %v", ct, list["TotalResults"], want)
		}
	}
	lvs["Description"] = "shared"
	lvs["ContentType"] = "ScriptModule" // cannot change
	lvs = conformanceCall(t, s, http.MethodPut, sp+"/libraryvariablesets/"+lvsID, lvs, http.StatusOK).(map[string]any)
	if lvs["Version"] != float64(1) || field(lvs, "ContentType") != "Variables" || field(lvs, "Description") != "shared" {
		t.Errorf("after update: %v", lvs)
	}
	conformanceCall(t, s, http.MethodDelete, sp+"/libraryvariablesets/"+lvsID, nil, http.StatusOK)
	conformanceCall(t, s, http.MethodGet, sp+"/variables/variableset-"+lvsID, nil, http.StatusNotFound)
	p := get(t, s, sp+"/projects/"+project).(map[string]any)
	if ids := p["IncludedLibraryVariableSetIds"].([]any); len(ids) != 0 {
		t.Errorf("project still includes the deleted set: %v", ids)
	}
}

// conformanceRaw returns the body of a GET as text.
func conformanceRaw(t *testing.T, s *Server, path string) string {
	t.Helper()
	b, err := json.Marshal(get(t, s, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
