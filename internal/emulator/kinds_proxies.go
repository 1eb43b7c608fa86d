package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Proxies (swagger ProxyResource) and git credentials (GitCredentialResource):
// space-scoped, each with a write-only password (a SensitiveValue, sealed
// and served masked like every one: sensitive.go).

var (
	proxiesKind        *Kind
	gitCredentialsKind *Kind
)

func init() {
	proxiesKind = registerKind(&Kind{
		Name:          "Proxies",
		Segment:       "proxies",
		ItemType:      "Proxy",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Less:          byName,
		Shape: func(d Doc) {
			ensure(d, "ProxyType", "HTTP")
			ensure(d, "Port", 80)
			ensure(d, "Username", nil)
			ensure(d, "Password", Doc{"HasValue": false, "NewValue": nil})
		},
		Validate: func(_ *Call, d, _ Doc) error {
			if strings.TrimSpace(str(d, "Host")) == "" {
				return badRequest("Please provide a value for Host.")
			}
			// The SDK's Proxy validates ProxyType oneof=HTTP; the portal
			// offers HTTP only.
			if str(d, "ProxyType") != "HTTP" {
				return badRequest(fmt.Sprintf("ProxyType '%s' is not valid: the only proxy type is HTTP.", str(d, "ProxyType")))
			}
			if p, ok := integer(d, "Port"); !ok || p < 1 || p > 65535 {
				return badRequest(fmt.Sprintf("Port '%v' is not a port number (1-65535).", d["Port"]))
			}
			return nil
		},
		BeforeDelete: func(c *Call, d Doc) error {
			for _, kindName := range []string{"Machines", "Workers"} {
				for _, r := range c.srv.st.all(kindName) {
					ep, _ := r.doc["Endpoint"].(map[string]any)
					if strings.EqualFold(r.space, c.SpaceID) && strings.EqualFold(str(ep, "ProxyId"), str(d, "Id")) {
						return badRequest(fmt.Sprintf("The proxy '%s' is in use by '%s' and cannot be deleted.", str(d, "Name"), str(r.doc, "Name")))
					}
				}
			}
			return nil
		},
	})

	gitCredentialsKind = registerKind(&Kind{
		Name:          "GitCredentials",
		Segment:       "git-credentials",
		ItemType:      "GitCredential",
		NameField:     "Name",
		UniqueNames:   true,
		NoAll:         true, // the swagger has no git-credentials/all
		TemplateQuery: "{?skip,take,name}",
		Less:          byName,
		Shape: func(d Doc) {
			ensure(d, "Description", "")
			ensure(d, "Details", Doc{})
			ensure(d, "RepositoryRestrictions", Doc{"Enabled": false, "AllowedRepositories": []any{}})
			if det, ok := d["Details"].(map[string]any); ok {
				ensure(det, "Type", "UsernamePassword")
			}
			if rr, ok := d["RepositoryRestrictions"].(map[string]any); ok {
				ensure(rr, "Enabled", false)
				ensure(rr, "AllowedRepositories", []any{})
			}
		},
		Validate: func(_ *Call, d, old Doc) error {
			det, ok := d["Details"].(map[string]any)
			if !ok {
				return badRequest("Details must be an object.")
			}
			// NewGitCredentialDetails and ModifyGitCredentialDetails: a
			// username and password credential, both required.
			if t := str(det, "Type"); t != "UsernamePassword" {
				return badRequest(fmt.Sprintf("Details.Type '%s' is not valid: git credentials are of type UsernamePassword.", t))
			}
			if strings.TrimSpace(str(det, "Username")) == "" {
				return badRequest("Please provide a value for Details.Username.")
			}
			pw, _ := det["Password"].(map[string]any)
			if !isSensitiveValue(pw) || (!boolean(pw, "HasValue") && pw["NewValue"] == nil) {
				return badRequest("Please provide a value for Details.Password.")
			}
			if old == nil && pw["NewValue"] == nil {
				return badRequest("Please provide a value for Details.Password.")
			}
			return nil
		},
		BeforeDelete: func(c *Call, d Doc) error {
			if p := gitCredentialUsers(c, str(d, "Id")); len(p) > 0 {
				return badRequest(fmt.Sprintf("The git credential '%s' is in use by project '%s' and cannot be deleted.", str(d, "Name"), str(p[0].doc, "Name")))
			}
			return nil
		},
		Links: func(_ Doc, self string) map[string]string {
			return map[string]string{"Usage": self + "/usage"}
		},
	})
	addRoute(http.MethodGet, "git-credentials/{id}/usage", RouteSpace, gitCredentialUsage)
	addRoute(http.MethodGet, "git-credentials/{id}/usage/v1", RouteSpace, gitCredentialUsage)
	// The /v1 forms wrap the same answers: GetGitCredentialsResponse
	// {GitCredentials}, GetGitCredentialByIdResponse {GitCredential}, and the
	// empty Modify/DeleteGitCredentialResponse.
	addRoute(http.MethodGet, "git-credentials/v1", RouteSpace, func(c *Call) (any, error) {
		page, err := c.srv.listHandler(c, gitCredentialsKind)
		if err != nil {
			return nil, err
		}
		return Doc{"GitCredentials": page}, nil
	})
	addRoute(http.MethodPost, "git-credentials/v1", RouteSpace, createHandler(gitCredentialsKind, nil))
	addRoute(http.MethodGet, "git-credentials/{id}/v1", RouteSpace, func(c *Call) (any, error) {
		d, err := c.srv.serveItem(c, http.MethodGet, gitCredentialsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		return Doc{"GitCredential": d}, nil
	})
	for _, m := range []string{http.MethodPut, http.MethodDelete} {
		addRoute(m, "git-credentials/{id}/v1", RouteSpace, func(c *Call) (any, error) {
			if _, err := c.srv.serveItem(c, m, gitCredentialsKind, c.Param("id")); err != nil {
				return nil, err
			}
			return Doc{}, nil
		})
	}
}

// gitCredentialUsers are the version-controlled projects of the call's
// space whose PersistenceSettings.Credentials reference the credential
// (GitPersistenceSettings: Credentials {Type: "Reference", Id}).
func gitCredentialUsers(c *Call, id string) []*record {
	var out []*record
	for _, r := range c.srv.st.all(projectsKind.Name) {
		ps, _ := r.doc["PersistenceSettings"].(map[string]any)
		cr, _ := ps["Credentials"].(map[string]any)
		if strings.EqualFold(r.space, c.SpaceID) && strings.EqualFold(str(cr, "Id"), id) {
			out = append(out, r)
		}
	}
	return out
}

// gitCredentialUsage serves GetGitCredentialUsageByIdResponse. OtherProjects
// counts the projects the caller may not see.
func gitCredentialUsage(c *Call) (any, error) {
	rec, err := c.srv.find(c, gitCredentialsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	projects := []any{}
	other := 0
	for _, r := range gitCredentialUsers(c, str(rec.doc, "Id")) {
		if !c.srv.visible(c, projectsKind, r) {
			other++
			continue
		}
		ps, _ := r.doc["PersistenceSettings"].(map[string]any)
		projects = append(projects, Doc{"ProjectId": r.doc["Id"], "Name": r.doc["Name"], "Slug": r.doc["Slug"], "RepositoryUrl": ps["Url"]})
	}
	return Doc{"Projects": projects, "OtherProjects": other}, nil
}
