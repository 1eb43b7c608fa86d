package emulator_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// addEnvironments creates environments named after names in Spaces-1.
func addEnvironments(t *testing.T, s *emulator.Server, names ...string) []string {
	t.Helper()
	var ids []string
	for _, n := range names {
		r := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": n}), http.StatusCreated)
		ids = append(ids, str(r.Body, "Id"))
	}
	return ids
}

func names(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, it := range items(t, r) {
		out = append(out, str(it, "Name"))
	}
	return out
}

func TestPagingFollowsPageNext(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	addEnvironments(t, s, "E1", "E2", "E3", "E4", "E5", "Other")

	var got []string
	path := "/api/Spaces-1/environments?partialName=e&take=2"
	pages := 0
	for path != "" {
		r := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK)
		pages++
		if r.Body["ItemsPerPage"] != float64(2) || r.Body["ItemType"] != "Environment" {
			t.Fatalf("envelope: %s", r.Raw)
		}
		got = append(got, names(t, r)...)
		links := r.Body["Links"].(map[string]any)
		for _, l := range []string{"Self", "Template", "Page.All", "Page.Current", "Page.Last"} {
			if links[l] == nil {
				t.Errorf("page %d lacks link %s", pages, l)
			}
		}
		next, _ := links["Page.Next"].(string)
		path = next
		if pages > 5 {
			t.Fatal("Page.Next never disappears")
		}
	}
	// "Other" matches partialName "e" too: 6 items, 3 pages; the filter is
	// kept in Page.Next.
	if want := []string{"E1", "E2", "E3", "E4", "E5", "Other"}; !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("followed %d pages: %v, want 3 pages of %v", pages, got, want)
	}
	last := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/environments?skip=4&take=2&partialName=e", nil), http.StatusOK)
	if last.Body["TotalResults"] != float64(6) || last.Body["NumberOfPages"] != float64(3) || last.Body["LastPageNumber"] != float64(2) {
		t.Errorf("last page envelope: %s", last.Raw)
	}
	if _, ok := last.Body["Links"].(map[string]any)["Page.Next"]; ok {
		t.Errorf("last page has Page.Next: %s", last.Raw)
	}
	all := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/environments/all", nil), http.StatusOK)
	if len(all.Array) != 6 {
		t.Errorf("/all = %d items, want a bare array of 6", len(all.Array))
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	ids := addEnvironments(t, s, "Dev", "Test", "Production", "Prod-EU")
	tests := []struct {
		query string
		want  []string
	}{
		{"ids=" + ids[0] + "," + ids[2], []string{"Dev", "Production"}},
		{"ids=" + ids[0] + "&ids=" + ids[3], []string{"Dev", "Prod-EU"}},
		{"ids=" + url.QueryEscape(ids[1]+","+ids[2]), []string{"Test", "Production"}},
		{"partialName=PROD", []string{"Production", "Prod-EU"}},
		{"name=production", []string{"Production"}},
		{"name=Prod", nil},
		{"partialName=x&ids=" + ids[0], nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/environments?"+tt.query, nil), http.StatusOK)
			if got := names(t, r); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouteForms(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	id := addEnvironments(t, s, "Dev")[0]
	for _, p := range []string{"/api/environments/", "/api/Spaces-1/environments/", "/api/spaces/Spaces-1/environments/", "/api/spaces-1/ENVIRONMENTS/"} {
		r := must(t, do(t, s, http.MethodGet, p+id, nil), http.StatusOK)
		if str(r.Body, "Name") != "Dev" {
			t.Errorf("%s: %s", p, r.Raw)
		}
		if self := r.Body["Links"].(map[string]any)["Self"]; self != "/api/Spaces-1/environments/"+id {
			t.Errorf("%s: Self = %v", p, self)
		}
	}
	r := must(t, do(t, s, http.MethodGet, "/api/Spaces-99/environments", nil), http.StatusNotFound)
	if r.Body["ErrorMessage"] != "The resource 'Spaces-99' was not found." {
		t.Errorf("unknown space: %s", r.Raw)
	}
	// System kinds exist only unscoped.
	must(t, do(t, s, http.MethodGet, "/api/Spaces-1/users", nil), http.StatusNotFound)
	root := must(t, do(t, s, http.MethodGet, "/api/Spaces-1", nil), http.StatusOK)
	if root.Body["Id"] != "Spaces-1" || root.Body["Links"].(map[string]any)["Projects"] == nil {
		t.Errorf("space root: %s", root.Raw)
	}
	for _, p := range []string{"/api", "/api/"} {
		r := must(t, do(t, s, http.MethodGet, p, nil), http.StatusOK)
		if r.Body["Application"] != "Octopus Deploy" || r.Body["Links"].(map[string]any)["Spaces"] == nil {
			t.Errorf("%s: %s", p, r.Raw)
		}
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	tests := []struct {
		name, method, path string
		body               any
		key                string
		status             int
		message            string
		errors             bool
	}{
		{"missing document", http.MethodGet, "/api/Spaces-1/environments/Environments-99", nil, "", 404, "The resource 'Environments-99' was not found.", false},
		{"unknown route", http.MethodGet, "/api/nothing-here", nil, "", 404, "The resource you requested was not found.", false},
		{"no key", http.MethodGet, "/api/spaces", nil, "-", 401, "You must be logged in to perform this action. Please provide a valid API key or log in again.", false},
		{"wrong key", http.MethodGet, "/api/spaces", nil, "API-NOTAKEY000000000000000000", 401, "You must be logged in to perform this action. Please provide a valid API key or log in again.", false},
		{"no name", http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Description": "x"}, "", 400, "There was a problem with your request.", true},
		{"duplicate name", http.MethodPost, "/api/Spaces-1/lifecycles", map[string]any{"Name": "default lifecycle"}, "", 400, "There was a problem with your request.", true},
		{"not JSON object", http.MethodPost, "/api/Spaces-1/environments", []int{1}, "", 400, "There was a problem with your request.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			switch tt.key {
			case "":
				r = do(t, s, tt.method, tt.path, tt.body)
			case "-":
				r = do(t, s, tt.method, tt.path, tt.body, "")
			default:
				r = do(t, s, tt.method, tt.path, tt.body, tt.key)
			}
			must(t, r, tt.status)
			if r.Body["ErrorMessage"] != tt.message {
				t.Errorf("ErrorMessage = %v, want %q", r.Body["ErrorMessage"], tt.message)
			}
			errs, has := r.Body["Errors"].([]any)
			if has != tt.errors || (tt.errors && len(errs) == 0) {
				t.Errorf("Errors = %v, want present: %v", r.Body["Errors"], tt.errors)
			}
		})
	}
}

func TestAlternativeCredentials(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	for name, set := range map[string]func(*http.Request){
		"bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.APIKey()) },
		"query":  func(r *http.Request) { q := r.URL.Query(); q.Set("apikey", s.APIKey()); r.URL.RawQuery = q.Encode() },
	} {
		req, err := http.NewRequest(http.MethodGet, s.URL()+"/api/users/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
}

func TestUpdateDeleteAndUnknownProperties(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	id := addEnvironments(t, s, "Dev")[0]
	path := "/api/Spaces-1/environments/" + id
	got := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body
	got["Description"] = "changed"
	got["FutureProperty"] = map[string]any{"Nested": true}
	must(t, do(t, s, http.MethodPut, path, got), http.StatusOK)
	again := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body
	if again["Description"] != "changed" || again["FutureProperty"] == nil || again["LastModifiedBy"] != "admin" {
		t.Fatalf("after PUT: %v", again)
	}
	must(t, do(t, s, http.MethodPut, path, map[string]any{"Id": "Environments-77", "Name": "X"}), http.StatusBadRequest)
	del := must(t, do(t, s, http.MethodDelete, path, nil), http.StatusOK)
	if str(del.Body, "Id") != id {
		t.Errorf("DELETE body = %s", del.Raw)
	}
	must(t, do(t, s, http.MethodGet, path, nil), http.StatusNotFound)
	must(t, do(t, s, http.MethodDelete, path, nil), http.StatusNotFound)
}

func TestSensitiveValues(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	created := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/feeds", map[string]any{
		"Name": "Private", "FeedType": "NuGet", "FeedUri": "https://example.com/nuget", "Username": "bot",
		"Password": map[string]any{"HasValue": true, "NewValue": "hunter2"},
	}), http.StatusCreated)
	if strings.Contains(string(created.Raw), "hunter2") {
		t.Fatalf("secret returned on create: %s", created.Raw)
	}
	path := "/api/Spaces-1/feeds/" + str(created.Body, "Id")
	password := func() map[string]any {
		t.Helper()
		r := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK)
		if strings.Contains(string(r.Raw), "hunter2") || strings.Contains(string(r.Raw), "swordfish") {
			t.Fatalf("secret returned: %s", r.Raw)
		}
		return r.Body["Password"].(map[string]any)
	}
	if pw := password(); pw["HasValue"] != true || pw["NewValue"] != nil {
		t.Fatalf("after create: %v", pw)
	}
	doc := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK).Body
	doc["FeedUri"] = "https://example.com/v3"
	must(t, do(t, s, http.MethodPut, path, doc), http.StatusOK) // HasValue:true, NewValue:null: keep
	if pw := password(); pw["HasValue"] != true {
		t.Fatalf("kept secret lost: %v", pw)
	}
	doc["Password"] = map[string]any{"HasValue": true, "NewValue": "swordfish"}
	must(t, do(t, s, http.MethodPut, path, doc), http.StatusOK)
	if pw := password(); pw["HasValue"] != true {
		t.Fatalf("replaced secret: %v", pw)
	}
	doc["Password"] = map[string]any{"HasValue": false, "NewValue": nil}
	must(t, do(t, s, http.MethodPut, path, doc), http.StatusOK)
	if pw := password(); pw["HasValue"] != false {
		t.Fatalf("cleared secret: %v", pw)
	}
	// A write-only property (User.Password) is never served.
	u := must(t, do(t, s, http.MethodPost, "/api/users", map[string]any{"Username": "u1", "DisplayName": "U1", "Password": "p4ssw0rd!"}), http.StatusCreated)
	if strings.Contains(string(u.Raw), "p4ssw0rd") || u.Body["Password"] != nil {
		t.Fatalf("user password served: %s", u.Raw)
	}
}

func TestSpaces(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	sp := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Acme", "SpaceManagersTeams": []string{"teams-administrators"}, "TaskQueueStopped": true}), http.StatusCreated).Body
	id := str(sp, "Id")
	if sp["TaskQueueStopped"] != false || sp["IsDefault"] != false || sp["Slug"] != "acme" {
		t.Fatalf("new space: %v", sp)
	}
	// The new space's defaults exist.
	for path, want := range map[string]string{
		"/api/" + id + "/lifecycles":                                "Default Lifecycle",
		"/api/" + id + "/projectgroups":                             "Default Project Group",
		"/api/teams/teams-spacemanagers-" + id + "/scopeduserroles": "",
	} {
		r := must(t, do(t, s, http.MethodGet, path, nil), http.StatusOK)
		if want != "" && !slices.Contains(names(t, r), want) {
			t.Errorf("%s: %v lacks %q", path, names(t, r), want)
		}
		if want == "" && (len(items(t, r)) != 1 || str(items(t, r)[0], "UserRoleId") != "userroles-spacemanager") {
			t.Errorf("%s: %s", path, r.Raw)
		}
	}
	for _, f := range []string{"feeds-builtin", "feeds-builtin-releases"} {
		must(t, do(t, s, http.MethodGet, "/api/"+id+"/feeds/"+f, nil), http.StatusOK)
		must(t, do(t, s, http.MethodGet, "/api/Spaces-1/feeds/"+f, nil), http.StatusOK)
	}
	env := must(t, do(t, s, http.MethodPost, "/api/"+id+"/environments", map[string]any{"Name": "Dev"}), http.StatusCreated).Body
	// Names are unique per space only.
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusCreated)

	must(t, do(t, s, http.MethodDelete, "/api/spaces/"+id, nil), http.StatusBadRequest)
	sp["TaskQueueStopped"] = true
	must(t, do(t, s, http.MethodPut, "/api/spaces/"+id, sp), http.StatusOK)
	must(t, do(t, s, http.MethodDelete, "/api/spaces/"+id, nil), http.StatusOK)
	must(t, do(t, s, http.MethodGet, "/api/"+id+"/environments/"+str(env, "Id"), nil), http.StatusNotFound)
	must(t, do(t, s, http.MethodGet, "/api/teams/teams-spacemanagers-"+id, nil), http.StatusNotFound)

	def := must(t, do(t, s, http.MethodGet, "/api/spaces/Spaces-1", nil), http.StatusOK).Body
	def["TaskQueueStopped"] = true
	must(t, do(t, s, http.MethodPut, "/api/spaces/Spaces-1", def), http.StatusOK)
	must(t, do(t, s, http.MethodDelete, "/api/spaces/Spaces-1", nil), http.StatusBadRequest)
}

func TestSortOrder(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	ids := addEnvironments(t, s, "A", "B", "C")
	must(t, do(t, s, http.MethodPut, "/api/Spaces-1/environments/sortorder", []string{ids[2], ids[0]}), http.StatusOK)
	r := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/environments", nil), http.StatusOK)
	if got := names(t, r); !slices.Equal(got, []string{"C", "A", "B"}) {
		t.Errorf("order = %v", got)
	}
	must(t, do(t, s, http.MethodPut, "/api/Spaces-1/environments/sortorder", []string{"Environments-99"}), http.StatusBadRequest)
}

func TestEventsOnePerMutation(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	count := func() int {
		t.Helper()
		r := must(t, do(t, s, http.MethodGet, "/api/events?take=0", nil), http.StatusOK)
		return int(r.Body["TotalResults"].(float64))
	}
	if n := count(); n != 0 {
		t.Fatalf("a fresh server has %d events", n)
	}
	sp := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Acme", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated).Body
	id := addEnvironments(t, s, "Dev")[0]
	must(t, do(t, s, http.MethodDelete, "/api/Spaces-1/environments/"+id, nil), http.StatusOK)
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{}), http.StatusBadRequest) // no event
	if n := count(); n != 3 {
		t.Fatalf("%d events after 3 mutations", n)
	}
	r := must(t, do(t, s, http.MethodGet, "/api/events?regarding="+id, nil), http.StatusOK)
	evs := items(t, r)
	if len(evs) != 2 || evs[0]["Category"] != "Deleted" || evs[1]["Category"] != "Created" || evs[0]["Username"] != "admin" || evs[0]["SpaceId"] != "Spaces-1" {
		t.Fatalf("events regarding %s: %s", id, r.Raw)
	}
	spaceEvents := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/events", nil), http.StatusOK)
	if len(items(t, spaceEvents)) != 2 {
		t.Errorf("Spaces-1 events: %s", spaceEvents.Raw)
	}
	first := must(t, do(t, s, http.MethodGet, "/api/events/Events-1", nil), http.StatusOK)
	if !strings.Contains(str(first.Body, "Message"), str(sp, "Name")) {
		t.Errorf("first event: %s", first.Raw)
	}
}

func TestTeamsMixedScope(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/teams", map[string]any{"Name": "Devs"}), http.StatusCreated)
	sys := must(t, do(t, s, http.MethodPost, "/api/teams", map[string]any{"Name": "Auditors"}), http.StatusCreated)
	if sys.Body["SpaceId"] != nil {
		t.Errorf("unscoped POST made a space team: %s", sys.Raw)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/api/Spaces-1/teams", []string{"Devs", "Space Managers"}},
		{"/api/Spaces-1/teams?includeSystem=true", []string{"Auditors", "Devs", "Everyone", "Octopus Administrators", "Octopus Managers", "Space Managers"}},
		{"/api/teams?spaces=Spaces-1", []string{"Devs", "Space Managers"}},
		{"/api/teams?spaces=Spaces-1&includeSystem=true", []string{"Auditors", "Devs", "Everyone", "Octopus Administrators", "Octopus Managers", "Space Managers"}},
		{"/api/teams?includeSystem=false", []string{"Devs", "Space Managers"}},
		{"/api/teams", []string{"Auditors", "Devs", "Everyone", "Octopus Administrators", "Octopus Managers", "Space Managers"}},
	}
	for _, tt := range tests {
		r := must(t, do(t, s, http.MethodGet, tt.path, nil), http.StatusOK)
		if got := names(t, r); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.path, got, tt.want)
		}
	}
	must(t, do(t, s, http.MethodDelete, "/api/teams/teams-everyone", nil), http.StatusBadRequest)
	ev := must(t, do(t, s, http.MethodGet, "/api/teams/teams-everyone", nil), http.StatusOK).Body
	ev["MemberUserIds"] = []string{"Users-1"}
	must(t, do(t, s, http.MethodPut, "/api/teams/teams-everyone", ev), http.StatusBadRequest)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	uid, key, err := s.CreateUser("ci", "CI")
	if err != nil {
		t.Fatal(err)
	}
	me := must(t, do(t, s, http.MethodGet, "/api/users/me", nil, key), http.StatusOK)
	if str(me.Body, "Id") != uid || str(me.Body, "Username") != "ci" {
		t.Fatalf("me: %s", me.Raw)
	}
	created := must(t, do(t, s, http.MethodPost, "/api/users/"+uid+"/apikeys", map[string]any{"Purpose": "second"}), http.StatusOK)
	second := str(created.Body, "ApiKey")
	if !strings.HasPrefix(second, "API-") {
		t.Fatalf("created key: %s", created.Raw)
	}
	list := must(t, do(t, s, http.MethodGet, "/api/users/"+uid+"/apikeys", nil), http.StatusOK)
	if strings.Contains(string(list.Raw), second) || strings.Contains(string(list.Raw), key) || len(items(t, list)) != 2 {
		t.Fatalf("key list: %s", list.Raw)
	}
	must(t, do(t, s, http.MethodGet, "/api/users/me", nil, second), http.StatusOK)
	must(t, do(t, s, http.MethodDelete, "/api/users/"+uid+"/apikeys/"+str(created.Body, "Id"), nil), http.StatusOK)
	must(t, do(t, s, http.MethodGet, "/api/users/me", nil, second), http.StatusUnauthorized)
	must(t, do(t, s, http.MethodGet, "/api/users/me", nil, key), http.StatusOK)
	expired := must(t, do(t, s, http.MethodPost, "/api/users/"+uid+"/apikeys", map[string]any{"Purpose": "old", "Expires": "2020-01-01T00:00:00.000+00:00"}), http.StatusOK)
	must(t, do(t, s, http.MethodGet, "/api/users/me", nil, str(expired.Body, "ApiKey")), http.StatusUnauthorized)
	if _, _, err := s.CreateUser("ci", "Again"); err == nil {
		t.Error("CreateUser accepted a duplicate username")
	}
}

func TestUserTeamsAndSpaces(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	uid, _, err := s.CreateUser("dev", "Dev")
	if err != nil {
		t.Fatal(err)
	}
	sp := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Acme", "SpaceManagersTeams": []string{"teams-administrators"}, "SpaceManagersTeamMembers": []string{uid}}), http.StatusCreated).Body
	must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Other", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated)
	spaces := must(t, do(t, s, http.MethodGet, "/api/users/"+uid+"/spaces", nil), http.StatusOK)
	if len(spaces.Array) != 1 || spaces.Array[0].(map[string]any)["Id"] != sp["Id"] {
		t.Errorf("user spaces: %s", spaces.Raw)
	}
	admin := must(t, do(t, s, http.MethodGet, "/api/users/Users-1/spaces", nil), http.StatusOK)
	if len(admin.Array) != 3 {
		t.Errorf("admin spaces: %s", admin.Raw)
	}
	teams := must(t, do(t, s, http.MethodGet, "/api/users/"+uid+"/teams", nil), http.StatusOK)
	var got []string
	for _, x := range teams.Array {
		got = append(got, str(x.(map[string]any), "Id"))
	}
	slices.Sort(got)
	if want := []string{"teams-everyone", "teams-spacemanagers-" + str(sp, "Id")}; !slices.Equal(got, want) {
		t.Errorf("user teams = %v, want %v", got, want)
	}
	// The space's managers team and SpaceManagersTeamMembers stay in step.
	team := must(t, do(t, s, http.MethodGet, "/api/teams/teams-spacemanagers-"+str(sp, "Id"), nil), http.StatusOK).Body
	team["MemberUserIds"] = []string{}
	must(t, do(t, s, http.MethodPut, "/api/teams/"+str(team, "Id"), team), http.StatusOK)
	again := must(t, do(t, s, http.MethodGet, "/api/spaces/"+str(sp, "Id"), nil), http.StatusOK).Body
	if m := again["SpaceManagersTeamMembers"].([]any); len(m) != 0 {
		t.Errorf("SpaceManagersTeamMembers = %v after emptying the team", m)
	}
}

func TestSpaceNeedsAManager(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	r := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Nobody", "SpaceManagersTeams": []string{}, "SpaceManagersTeamMembers": []string{}}), http.StatusBadRequest)
	if len(r.Body["Errors"].([]any)) == 0 {
		t.Fatalf("no Errors: %s", r.Raw)
	}
	must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Member", "SpaceManagersTeamMembers": []string{"Users-1"}}), http.StatusCreated)
	must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Ghost", "SpaceManagersTeams": []string{"teams-nope"}}), http.StatusBadRequest)
}

func TestConcurrentCreatesKeepNamesUnique(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	const n = 16
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not do(): t.Fatal must not be called from this goroutine.
			req, err := http.NewRequest(http.MethodPost, s.URL()+"/api/Spaces-1/environments", stringsReader(`{"Name":"Race"}`))
			if err != nil {
				statuses <- -1
				return
			}
			req.Header.Set("X-Octopus-ApiKey", s.APIKey())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusBadRequest] != n-1 {
		t.Fatalf("statuses %v: want one 201 and %d 400s", count, n-1)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	r := must(t, do(t, s, http.MethodPatch, "/api/Spaces-1/environments", map[string]any{}), http.StatusMethodNotAllowed)
	if r.Body["ErrorMessage"] == nil {
		t.Errorf("405 without an error body: %s", r.Raw)
	}
}
