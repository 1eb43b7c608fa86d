package emulator

import (
	"fmt"
	"strings"
)

// Worker pools. Every space starts with a static pool named "Default Worker
// Pool" (IsDefault), as a real server creates it [unverified name: the UI and
// the docs call it that]. Exactly one pool per space is the default: making
// another one default clears the flag on the old one, and the default pool
// cannot be deleted.

var workerPoolsKind *Kind

func init() {
	workerPoolsKind = registerKind(&Kind{
		Name:          "WorkerPools",
		Segment:       "workerpools",
		Scope:         SpaceScoped,
		ItemType:      "WorkerPool",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?name,skip,ids,take,partialName}",
		Less:          bySortOrder,
		Defaults: func(c *Call, d Doc) error {
			ensure(d, "SortOrder", nextSortOrder(c, "WorkerPools"))
			workerPoolShape(d)
			return nil
		},
		Validate:     validateWorkerPool,
		AfterCreate:  func(c *Call, d Doc) error { return clearOtherDefaults(c, d) },
		BeforeUpdate: keepProps("WorkerPoolType"),
		AfterUpdate:  func(c *Call, d, _ Doc) error { return clearOtherDefaults(c, d) },
		BeforeDelete: func(_ *Call, d Doc) error {
			if boolean(d, "IsDefault") {
				return badRequest("The default worker pool cannot be deleted.")
			}
			return nil
		},
	})
	onSpaceCreated(func(c *Call, _ Doc) error {
		_, err := c.srv.create(c, workerPoolsKind, Doc{
			"Name":           "Default Worker Pool",
			"Description":    "",
			"IsDefault":      true,
			"WorkerPoolType": "StaticWorkerPool",
		})
		if err != nil {
			return fmt.Errorf("create the default worker pool: %w", err)
		}
		return nil
	})
}

var workerPoolTypes = []string{"StaticWorkerPool", "DynamicWorkerPool"}

func workerPoolShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "IsDefault", false)
	ensure(d, "WorkerPoolType", "StaticWorkerPool")
	ensure(d, "CanAddWorkers", str(d, "WorkerPoolType") != "DynamicWorkerPool")
}

func validateWorkerPool(_ *Call, d, _ Doc) error {
	var errs []string
	if str(d, "Name") == "" {
		errs = append(errs, "Please provide a value for Name.")
	}
	if t := str(d, "WorkerPoolType"); !containsFold(workerPoolTypes, t) {
		errs = append(errs, fmt.Sprintf("'%s' is not a valid WorkerPoolType.", t))
	}
	if str(d, "WorkerPoolType") == "DynamicWorkerPool" && str(d, "WorkerType") == "" {
		errs = append(errs, "Please provide a value for WorkerType.")
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	return nil
}

// clearOtherDefaults keeps one default pool per space: the one just saved.
func clearOtherDefaults(c *Call, d Doc) error {
	if !boolean(d, "IsDefault") {
		return nil
	}
	for _, rec := range c.srv.st.all(workerPoolsKind.Name) {
		if strings.EqualFold(rec.space, c.SpaceID) && !strings.EqualFold(str(rec.doc, "Id"), str(d, "Id")) && boolean(rec.doc, "IsDefault") {
			rec.doc["IsDefault"] = false
			c.Changed()
		}
	}
	return nil
}
