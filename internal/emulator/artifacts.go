package emulator

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Artifacts (ArtifactResource): files a task collected. A script collects
// one with the createArtifact service message (Calamari's
// new_octopusartifact: ##octopus[createArtifact path='…' name='…']); the
// API creates the metadata with POST /artifacts and sets the file with
// PUT /artifacts/{id}/content (204), read back with GET .../content.
// Lists take regarding (the task or the deployment, runbook run, project,
// environment or tenant of its task), ids and partialName (Filename).

var artifactsKind *Kind

// artifactContentsTable holds each artifact's file ({"Id": artifact,
// "Data": base64}).
const artifactContentsTable = "ArtifactContents"

// maxArtifactSize bounds a collected file.
const maxArtifactSize = 64 << 20

// artifactHidden are kept on the stored document for permission
// restrictions and "regarding"; they are not served.
var artifactHidden = []string{"RelatedDocumentIds", "ProjectId", "EnvironmentId", "TenantId"}

func init() {
	artifactsKind = registerKind(&Kind{
		Name:          "Artifacts",
		Segment:       "artifacts",
		ItemType:      "Artifact",
		Scope:         SpaceScoped,
		NameField:     "Filename",
		NoAll:         true,
		TemplateQuery: "{?skip,take,regarding,ids,partialName,order}",
		Less:          newestFirst,
		Defaults: func(c *Call, d Doc) error {
			d["Created"] = c.srv.now().Format(timeLayout)
			ensure(d, "Source", nil)
			ensure(d, "LogCorrelationId", nil)
			ensure(d, "ServerTaskId", nil)
			if task := c.srv.st.get(tasksKind.Name, "", str(d, "ServerTaskId")); task != nil {
				// Artifacts are about their task's deployment or run.
				sc := c.srv.scopeOf(c.SpaceID, tasksKind, task.doc)
				d["ProjectId"], d["EnvironmentId"], d["TenantId"] = sc[restrictProjects], sc[restrictEnvironments], sc[restrictTenants]
				args, _ := task.doc["Arguments"].(map[string]any)
				related := []string{str(task.doc, "Id")}
				for _, id := range []string{str(args, "DeploymentId"), str(args, "RunbookRunId"), sc[restrictProjects], sc[restrictEnvironments], sc[restrictTenants]} {
					if id != "" {
						related = append(related, id)
					}
				}
				d["RelatedDocumentIds"] = anySlice(related)
			}
			return nil
		},
		Validate: func(c *Call, d, _ Doc) error {
			if id := str(d, "ServerTaskId"); id != "" {
				task := c.srv.st.get(tasksKind.Name, "", id)
				if task == nil || !strings.EqualFold(str(task.doc, "SpaceId"), c.SpaceID) {
					return badRequest(fmt.Sprintf("The task '%s' does not exist.", id))
				}
			}
			return nil
		},
		BeforeUpdate: keepProps(append([]string{"Created"}, artifactHidden...)...),
		AfterDelete: func(c *Call, d Doc) error {
			c.srv.st.delete(artifactContentsTable, str(d, "SpaceId"), str(d, "Id"))
			return nil
		},
		Filter: func(c *Call, d Doc) bool {
			r := c.QueryValue("regarding")
			return r == "" || strings.EqualFold(str(d, "ServerTaskId"), r) || containsFold(strs(d, "RelatedDocumentIds"), r)
		},
		Links: func(d Doc, self string) map[string]string {
			links := map[string]string{"Content": self + "/content"}
			if id := str(d, "ServerTaskId"); id != "" {
				links["ServerTask"] = "/api/tasks/" + id
			}
			return links
		},
		Present: func(d Doc) {
			for _, f := range artifactHidden {
				delete(d, f)
			}
		},
	})
	addRoute(http.MethodGet, "artifacts/{id}/content", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, artifactsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		var data []byte
		if content := c.srv.st.get(artifactContentsTable, rec.space, str(rec.doc, "Id")); content != nil {
			if data, err = base64.StdEncoding.DecodeString(str(content.doc, "Data")); err != nil {
				return nil, fmt.Errorf("decode the content of %s: %w", str(rec.doc, "Id"), err)
			}
		}
		return &rawResponse{ContentType: "application/octet-stream", Body: data}, nil
	})
	addRoute(http.MethodPut, "artifacts/{id}/content", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, artifactsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		c.srv.putArtifactContent(c, rec, c.RawBody())
		c.Status = http.StatusNoContent
		return &rawResponse{ContentType: "text/plain; charset=utf-8"}, nil
	})
}

// putArtifactContent stores an artifact's file. Expects the store locked.
func (s *Server) putArtifactContent(c *Call, rec *record, data []byte) {
	s.st.put(artifactContentsTable, &record{space: rec.space, doc: Doc{"Id": rec.doc["Id"], "Data": base64.StdEncoding.EncodeToString(data)}})
	c.Changed()
}

// collectArtifacts stores the files a script asked for with createArtifact
// (paths relative to its work folder) as artifacts of the task.
func (r *runner) collectArtifacts(j *job, work string, refs []artifactRef, log *activity) {
	s := r.srv
	for _, ref := range refs {
		path := ref.path
		if !filepath.IsAbs(path) {
			path = filepath.Join(work, path)
		}
		name := ref.name
		if name == "" {
			name = filepath.Base(path)
		}
		info, err := os.Stat(path)
		if err == nil && info.Size() > maxArtifactSize {
			err = fmt.Errorf("%d bytes is more than the %d an artifact may have", info.Size(), maxArtifactSize)
		}
		var data []byte
		if err == nil {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			log.add("Warning", fmt.Sprintf("The artifact %s could not be collected: %v", name, err), s.now())
			continue
		}
		err = s.mutate(func(c *Call) error {
			d, err := s.create(c.InSpace(j.plan.space), artifactsKind, Doc{"Filename": name, "ServerTaskId": j.taskID, "Source": "Calamari"})
			if err != nil {
				return err
			}
			if rec := s.st.get(artifactsKind.Name, j.plan.space, str(d, "Id")); rec != nil {
				s.putArtifactContent(c, rec, data)
			}
			return nil
		})
		if err != nil {
			log.add("Warning", fmt.Sprintf("The artifact %s could not be stored: %v", name, err), s.now())
			continue
		}
		log.add("Info", fmt.Sprintf("Artifact %s collected (%d bytes).", name, len(data)), s.now())
	}
}

// artifactRef is one createArtifact service message.
type artifactRef struct{ path, name string }
