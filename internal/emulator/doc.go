// Package emulator is an in-memory Octopus Server API on a real HTTP
// listener. The real go-octopusdeploy client, curl and the Octopus CLI talk to
// it as to a server; octofleet's tests and `octofleet emulator` use it.
//
// # Request pipeline (server.go)
//
// Every request goes through ServeHTTP: accounting (Requests, Writes),
// injected latency, authentication (auth.go: X-Octopus-ApiKey, Bearer, or
// ?apikey=; the caller is Call.UserID/Username), the per-user rate limit,
// injected failures (faults.go), routing (router.go), the handler under the
// store lock (write lock for anything but GET), saving the state file when the
// handler changed something (state.go) and only then the answer.
//
// Paths come in three forms (router.go parseTarget): /api/x, /api/{spaceId}/x
// and /api/spaces/{spaceId}/x. A route declares a RouteScope: RouteSystem
// routes answer only /api/x; RouteSpace routes answer all three, /api/x
// meaning the default space; RouteMixed routes answer all three, /api/x
// meaning "no space filter".
//
// # Resources are kinds (collection.go)
//
// A Kind declares one collection; documents are JSON objects (Doc) kept
// as-is, including properties the emulator does not know. The generic
// handlers give every kind a paged list with skip/take/ids/partialName/name,
// /all, POST (201), GET/PUT/DELETE by ID (DELETE answers 200 with the deleted
// document), IDs "<Prefix>-<n>", slugs, name uniqueness, LastModifiedOn/By,
// Links.Self, SensitiveValue masking (sensitive.go) and one audit event per
// request (events.go; side effects of hooks are not separate events).
//
// To add a kind, create a file (e.g. widgets.go) with:
//
//	var widgetsKind *Kind
//
//	func init() {
//		widgetsKind = registerKind(&Kind{
//			Name:          "Widgets",   // ID prefix: Widgets-1
//			Segment:       "widgets",   // /api/{spaceId}/widgets
//			Scope:         SpaceScoped, // or SystemScoped, MixedScoped
//			ItemType:      "Widget",
//			NameField:     "Name",
//			UniqueNames:   true,
//			Slugged:       true,
//			TemplateQuery: "{?skip,take,ids,partialName}",
//			Defaults:      func(c *Call, d Doc) error { ensure(d, "Description", ""); return nil },
//			AfterCreate:   widgetCreated, // side effects: c.srv.create(c, otherKind, doc)
//			Links:         func(d Doc, self string) map[string]string { return map[string]string{"Parts": self + "/parts"} },
//		})
//		addRoute(http.MethodGet, "widgets/{id}/parts", RouteSpace, widgetParts)
//	}
//
// Assign the kind variable inside init: a package-level
// `var widgetsKind = registerKind(&Kind{...})` whose hooks mention any kind
// variable is a Go initialisation cycle.
//
// Hooks run with the store locked; inside them use c.srv.st (get, all, put,
// delete), c.srv.create/createWithID/update/remove (the full pipeline, for
// dependent documents), c.srv.find, c.srv.present, c.srv.page (the paging
// envelope for custom lists; c.srv.relatedPage for a sub-collection such as
// /projects/{projectId}/channels), badRequest/notFound for Octopus error
// bodies and c.Changed() after editing stored documents in place. Kind.Shape
// fills defaults on create and update alike (Defaults is create only).
// Kind.Lookup finds documents by something other than their ID (project
// slugs), Kind.Present
// adjusts the served copy, Kind.NoAll/NoList/NoCreate/... switch generic
// routes off. Custom routes are Handlers registered with addRoute; the most
// literal pattern wins, so "widgets/sortorder" beats the generic
// "widgets/{id}". A handler answer with a method
// write(http.ResponseWriter, int) is sent as-is instead of JSON. Extra root
// links: addRootLink. Defaults of a fresh instance: addSeeder; defaults of
// every new space: onSpaceCreated. Background work (a task runner):
// s.mutate; its in-memory state: s.extension; stopping it: onClose.
//
// # Permissions
//
// Authentication is here (auth.go); authorisation is optional: when a file
// gives *Server the methods authorize(c *Call, method, pattern string) error
// and canSeeSpace(c *Call, spaceID string) bool, every request is checked
// with the first (after its space is resolved, under the store lock) and
// space lists are filtered with the second. permissions.go provides them:
// the permission a route needs comes from its resource segment
// (segmentPermissions: add a new kind's segment there), the documents it
// addresses from its parameters and body, and scoped user role
// restrictions (projects, project groups, environments, tenants) narrow the
// permissions that support them (permissionRestrictions). Lists drop what
// the caller may not view (Server.visible, called by selected); handlers
// that create executions check them again (Server.require), whatever route
// created them.
//
// # State
//
// Options.StatePath is loaded at start and rewritten atomically (temporary
// file + rename) after every change, before the answer is sent, and on
// Close: a process killed after answering has already saved. Secrets
// (SensitiveValue values, write-only properties) are sealed with AES-GCM
// under a key derived from the admin API key; API keys are kept only as
// SHA-256 hashes.
package emulator
