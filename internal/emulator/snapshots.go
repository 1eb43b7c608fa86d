package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Runbook snapshots (RunbookSnapshotResource). A snapshot freezes a copy of
// its runbook's process and of the project's (and included library sets')
// variables, with their secrets, and the package versions to use; runs
// execute the frozen copies, as on the real server. POST ?publish=true also
// makes it the runbook's PublishedRunbookSnapshotId, which runs use when they
// name no snapshot.

var runbookSnapshotsKind *Kind

// frozenTable holds frozen copies of processes and variable sets, by their
// snapshot IDs (FrozenRunbookProcessId, ProjectDeploymentProcessSnapshotId,
// ProjectVariableSetSnapshotId, LibraryVariableSetSnapshotIds).
const frozenTable = "FrozenDocuments"

func init() {
	runbookSnapshotsKind = registerKind(&Kind{
		Name:          "RunbookSnapshots",
		NoAll:         true, // the real server has no /all here
		Segment:       "runbookSnapshots",
		Scope:         SpaceScoped,
		ItemType:      "RunbookSnapshot",
		NameField:     "Name",
		TemplateQuery: "{?skip,take,ids,publish}",
		Defaults:      snapshotDefaults,
		Validate:      validateSnapshot,
		AfterCreate:   snapshotCreated,
		BeforeUpdate:  keepProps("RunbookId", "ProjectId", "FrozenRunbookProcessId", "FrozenProjectVariableSetId", "ProjectVariableSetSnapshotId", "LibraryVariableSetSnapshotIds", "Assembled", "SelectedPackages"),
		AfterDelete: func(c *Call, d Doc) error {
			c.srv.dropFrozen(c, d)
			for _, rec := range c.srv.st.all(runbooksKind.Name) {
				if strings.EqualFold(str(rec.doc, "PublishedRunbookSnapshotId"), str(d, "Id")) {
					rec.doc["PublishedRunbookSnapshotId"] = nil
				}
			}
			return nil
		},
		Filter: func(c *Call, d Doc) bool {
			return matchesQuery(c, d, "runbookId", "RunbookId") && matchesQuery(c, d, "projectId", "ProjectId")
		},
		Less: newestFirst,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Project":                linkTo(d, "projects", "ProjectId"),
				"Runbook":                linkTo(d, "runbooks", "RunbookId"),
				"FrozenRunbookProcess":   linkTo(d, "runbookProcesses", "FrozenRunbookProcessId"),
				"RunbookRuns":            self + "/runbookRuns{?skip,take}",
				"RunbookRunTemplate":     self + "/runbookRuns/template",
				"SnapshotVariables":      self + "/snapshot-variables",
				"Variables":              self + "/variables",
				"RunbookSnapshotPackage": self + "/packages",
			}
		},
	})
	addRoute(http.MethodPost, "projects/{projectId}/runbookSnapshots", RouteSpace, createInProject(runbookSnapshotsKind))
	addRoute(http.MethodGet, "projects/{projectId}/runbookSnapshots", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, runbookSnapshotsKind, "ProjectId", str(p, "Id"), "projects/"+str(p, "Id")+"/runbookSnapshots", "{?skip,take}")
	})
	addRoute(http.MethodGet, "projects/{projectId}/runbookSnapshots/{idOrName}", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		key := c.Param("idOrName")
		for _, rec := range c.srv.selected(c, runbookSnapshotsKind) {
			if strings.EqualFold(str(rec.doc, "ProjectId"), str(p, "Id")) &&
				(strings.EqualFold(str(rec.doc, "Id"), key) || strings.EqualFold(str(rec.doc, "Name"), key)) {
				return c.srv.present(runbookSnapshotsKind, rec), nil
			}
		}
		return nil, notFound(key)
	})
	snapshotsOfRunbook := func(c *Call) (any, error) {
		rb, err := c.srv.find(c, runbooksKind, c.Param("runbookId"))
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, runbookSnapshotsKind, "RunbookId", str(rb.doc, "Id"), "runbooks/"+str(rb.doc, "Id")+"/runbookSnapshots", "{?skip,take}")
	}
	addRoute(http.MethodGet, "runbooks/{runbookId}/runbookSnapshots", RouteSpace, snapshotsOfRunbook)
	addRoute(http.MethodGet, "projects/{projectId}/runbooks/{runbookId}/runbookSnapshots", RouteSpace, snapshotsOfRunbook)
	template := func(c *Call) (any, error) {
		rb, err := c.srv.find(c, runbooksKind, c.Param("runbookId"))
		if err != nil {
			return nil, err
		}
		return c.srv.snapshotTemplate(c, rb.doc), nil
	}
	addRoute(http.MethodGet, "runbooks/{runbookId}/runbookSnapshotTemplate", RouteSpace, template)
	addRoute(http.MethodGet, "projects/{projectId}/runbooks/{runbookId}/runbookSnapshotTemplate", RouteSpace, template)
	processTemplate := func(c *Call) (any, error) {
		proc, err := c.srv.find(c, runbookProcessesKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		rb, err := c.srv.find(c, runbooksKind, str(proc.doc, "RunbookId"))
		if err != nil {
			return nil, err
		}
		return c.srv.snapshotTemplate(c, rb.doc), nil
	}
	addRoute(http.MethodGet, "runbookProcesses/{id}/runbookSnapshotTemplate", RouteSpace, processTemplate)
	addRoute(http.MethodGet, "projects/{projectId}/runbookProcesses/{id}/runbookSnapshotTemplate", RouteSpace, processTemplate)
}

func snapshotDefaults(c *Call, d Doc) error {
	ensure(d, "Notes", nil)
	ensure(d, "SelectedPackages", []any{})
	ensure(d, "SelectedGitResources", []any{})
	if str(d, "Name") == "" {
		if rb := c.srv.st.get(runbooksKind.Name, c.SpaceID, str(d, "RunbookId")); rb != nil {
			d["Name"] = nextSnapshotName(c, str(rb.doc, "Id"))
		}
	}
	return nil
}

// nextSnapshotName is the name the portal suggests: "Snapshot N".
func nextSnapshotName(c *Call, runbookID string) string {
	n := 1
	for _, rec := range c.srv.st.all(runbookSnapshotsKind.Name) {
		if strings.EqualFold(str(rec.doc, "RunbookId"), runbookID) {
			n++
		}
	}
	return fmt.Sprintf("Snapshot %d", n)
}

func validateSnapshot(c *Call, d, old Doc) error {
	rb := c.srv.st.get(runbooksKind.Name, c.SpaceID, str(d, "RunbookId"))
	if rb == nil {
		return badRequest(fmt.Sprintf("The runbook '%s' does not exist.", str(d, "RunbookId")))
	}
	d["ProjectId"] = rb.doc["ProjectId"]
	// Snapshot names are unique per runbook.
	for _, rec := range c.srv.st.all(runbookSnapshotsKind.Name) {
		o := rec.doc
		if strings.EqualFold(str(o, "RunbookId"), str(d, "RunbookId")) && !strings.EqualFold(str(o, "Id"), str(d, "Id")) &&
			strings.EqualFold(str(o, "Name"), str(d, "Name")) {
			return badRequest(fmt.Sprintf("A snapshot with the name '%s' already exists for this runbook.", str(d, "Name")))
		}
	}
	return nil
}

// snapshotCreated freezes the runbook's process and the variables, fills in
// the package versions not chosen by the client, and publishes the snapshot
// when asked to.
func snapshotCreated(c *Call, d Doc) error {
	s := c.srv
	id := str(d, "Id")
	rb := s.st.get(runbooksKind.Name, c.SpaceID, str(d, "RunbookId"))
	proc := s.st.get(runbookProcessesKind.Name, c.SpaceID, str(rb.doc, "RunbookProcessId"))
	if proc == nil {
		return badRequest(fmt.Sprintf("The runbook '%s' has no process.", str(rb.doc, "Name")))
	}
	project := s.st.get(projectsKind.Name, c.SpaceID, str(d, "ProjectId"))
	s.assemble(c, d, proc, project.doc, "FrozenRunbookProcessId", "FrozenProjectVariableSetId")
	d["ProjectVariableSetSnapshotId"] = d["FrozenProjectVariableSetId"]
	if c.queryBool("publish", false) {
		rb.doc["PublishedRunbookSnapshotId"] = id
	}
	c.Changed()
	return nil
}

// assemble freezes what a new release or runbook snapshot d executes: the
// process proc, the project's variable set and its library sets (their IDs
// in d's processField, variablesField and LibraryVariableSetSnapshotIds),
// completes SelectedPackages and stamps Assembled.
func (s *Server) assemble(c *Call, d Doc, proc *record, project Doc, processField, variablesField string) {
	id := str(d, "Id")
	d[processField] = s.freeze(c, proc, id)
	d[variablesField] = s.freezeByID(c, variableSetsKind, str(project, "VariableSetId"), id)
	d["LibraryVariableSetSnapshotIds"] = s.freezeLibrarySets(c, project, id)
	d["SelectedPackages"] = s.selectPackages(c, proc.doc, toList(d["SelectedPackages"]))
	d["Assembled"] = s.now().Format(timeLayout)
	c.Changed()
}

// freeze stores a copy of a record (secrets included) under
// "<id>-s-<owner>" and returns that ID.
func (s *Server) freeze(c *Call, rec *record, owner string) string {
	id := str(rec.doc, "Id") + "-s-" + owner
	d := cloneDoc(rec.doc)
	d["Id"] = id
	secrets := map[string]any{}
	for k, v := range rec.secrets {
		secrets[k] = v
	}
	s.st.put(frozenTable, &record{space: c.SpaceID, doc: d, secrets: secrets})
	c.Changed()
	return id
}

func (s *Server) freezeByID(c *Call, k *Kind, id, owner string) any {
	rec := s.st.get(k.Name, c.SpaceID, id)
	if rec == nil {
		return nil
	}
	return s.freeze(c, rec, owner)
}

// freezeLibrarySets freezes the variable sets of the project's library sets.
func (s *Server) freezeLibrarySets(c *Call, project Doc, owner string) []any {
	out := []any{}
	for _, id := range strs(project, "IncludedLibraryVariableSetIds") {
		set := s.st.get(libraryVariableSetsKind.Name, c.SpaceID, id)
		if set == nil {
			continue
		}
		if f := s.freezeByID(c, variableSetsKind, str(set.doc, "VariableSetId"), owner); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// frozen returns a frozen document revealed (nil when absent).
func (s *Server) frozen(space, id string) Doc {
	return revealed(s.st.get(frozenTable, space, id))
}

// dropFrozen deletes the frozen copies a snapshot or release refers to.
func (s *Server) dropFrozen(c *Call, d Doc) {
	ids := strs(d, "LibraryVariableSetSnapshotIds")
	for _, f := range []string{"FrozenRunbookProcessId", "FrozenProjectVariableSetId", "ProjectDeploymentProcessSnapshotId", "ProjectVariableSetSnapshotId"} {
		ids = append(ids, str(d, f))
	}
	for _, id := range ids {
		if id != "" {
			s.st.delete(frozenTable, c.SpaceID, id)
		}
	}
	c.Changed()
}

// frozenVariableSets returns a snapshot's or release's variable sets,
// library sets first, revealed.
func (s *Server) frozenVariableSets(space string, d Doc, projectField string) []Doc {
	var out []Doc
	for _, id := range append(strs(d, "LibraryVariableSetSnapshotIds"), str(d, projectField)) {
		if f := s.frozen(space, id); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// selectPackages completes SelectedPackages: every package reference of the
// process gets the version the client chose or the latest in the built-in
// feed (left out when the feed has none).
func (s *Server) selectPackages(c *Call, process Doc, chosen []any) []any {
	out := []any{}
	for _, ref := range packageRefs(process) {
		version := ""
		for _, x := range chosen {
			sel, _ := x.(map[string]any)
			if strings.EqualFold(str(sel, "ActionName"), ref.action) && strings.EqualFold(str(sel, "PackageReferenceName"), ref.name) {
				version = str(sel, "Version")
			}
		}
		if version == "" {
			if p := s.findPackage(c.SpaceID, ref.packageID, ""); p != nil {
				version = str(p, "Version")
			}
		}
		if version != "" {
			out = append(out, map[string]any{"ActionName": ref.action, "StepName": ref.step, "PackageReferenceName": ref.name, "Version": version})
		}
	}
	return out
}

type packageRef struct {
	step, action, name, packageID, feedID string
}

// packageRefs lists the package references of a process's actions.
func packageRefs(process Doc) []packageRef {
	var out []packageRef
	for _, x := range toList(process["Steps"]) {
		step, _ := x.(map[string]any)
		for _, y := range toList(step["Actions"]) {
			action, _ := y.(map[string]any)
			for _, z := range toList(action["Packages"]) {
				p, _ := z.(map[string]any)
				out = append(out, packageRef{step: str(step, "Name"), action: str(action, "Name"), name: str(p, "Name"), packageID: str(p, "PackageId"), feedID: str(p, "FeedId")})
			}
		}
	}
	return out
}

// snapshotTemplate is RunbookSnapshotTemplateResource: the next name and the
// packages a snapshot of the runbook needs, with their latest versions.
func (s *Server) snapshotTemplate(c *Call, rb Doc) Doc {
	proc := s.docCopy(runbookProcessesKind, c.SpaceID, str(rb, "RunbookProcessId"))
	packages := []any{}
	for _, ref := range packageRefs(proc) {
		latest := s.findPackage(c.SpaceID, ref.packageID, "")
		packages = append(packages, map[string]any{
			"ActionName": ref.action, "StepName": ref.step, "PackageReferenceName": ref.name, "PackageId": ref.packageID,
			"FeedId": ref.feedID, "IsResolvable": true, "VersionSelectedLastRelease": nil,
			"LatestVersion": map[bool]any{true: nil, false: str(latest, "Version")}[latest == nil],
		})
	}
	return Doc{
		"Id":                "runbookSnapshotTemplate-" + str(rb, "Id"),
		"RunbookId":         rb["Id"],
		"RunbookProcessId":  rb["RunbookProcessId"],
		"NextNameIncrement": nextSnapshotName(c, str(rb, "Id")),
		"Packages":          packages,
		"GitResources":      []any{},
		"Links":             map[string]any{"Self": "/api/" + c.SpaceID + "/runbooks/" + str(rb, "Id") + "/runbookSnapshotTemplate"},
	}
}
