package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Space default retention policies: every space has one per RetentionType
// (the SDK's pkg/retention: LifecycleRelease, LifecycleTentacle,
// RunbookRetention), read with GET retentionpolicies?retentionType= and
// changed with PUT retentionpolicies/{id}; there is no list, create or
// delete. The swagger's SpaceDefaultRetentionPolicyResource names the base
// properties (Id, Name, RetentionType, SpaceId); each type adds Strategy,
// QuantityToKeep and Unit (ModifyDefault*RetentionPolicyCommand).

var retentionPoliciesKind *Kind

var retentionTypes = []string{"LifecycleRelease", "LifecycleTentacle", "RunbookRetention"}

func init() {
	retentionPoliciesKind = registerKind(&Kind{
		Name:     "SpaceDefaultRetentionPolicies",
		Segment:  "retentionpolicies",
		ItemType: "SpaceDefaultRetentionPolicy",
		NoRoutes: true,
		// The resource has no Links or LastModified properties.
		Present: func(d Doc) {
			for _, f := range []string{"Links", "LastModifiedOn", "LastModifiedBy"} {
				delete(d, f)
			}
		},
		BeforeUpdate: func(_ *Call, d, old Doc) error {
			if t := str(d, "RetentionType"); t != "" && t != str(old, "RetentionType") {
				return badRequest(fmt.Sprintf("The RetentionType of a retention policy cannot be changed (it is %s).", str(old, "RetentionType")))
			}
			return keepProps("RetentionType", "Name")(nil, d, old)
		},
		Validate: func(_ *Call, d, _ Doc) error {
			switch str(d, "Strategy") {
			case "Forever":
				d["QuantityToKeep"] = 0
			case "Count":
				if n, ok := integer(d, "QuantityToKeep"); !ok || n < 1 {
					return badRequest("QuantityToKeep must be a positive number when Strategy is Count.")
				}
			default:
				return badRequest(fmt.Sprintf("Strategy '%s' is not one of Forever, Count.", str(d, "Strategy")))
			}
			if u := str(d, "Unit"); u != "Days" && u != "Items" {
				return badRequest(fmt.Sprintf("Unit '%s' is not one of Days, Items.", u))
			}
			return nil
		},
	})
	addRoute(http.MethodGet, "retentionpolicies", RouteSpace, func(c *Call) (any, error) {
		t := c.QueryValue("retentionType")
		if t == "" {
			return nil, badRequest("Please provide a value for retentionType (one of " + strings.Join(retentionTypes, ", ") + ").")
		}
		if !slices.ContainsFunc(retentionTypes, func(x string) bool { return strings.EqualFold(x, t) }) {
			return nil, badRequest(fmt.Sprintf("retentionType '%s' is not one of %s.", t, strings.Join(retentionTypes, ", ")))
		}
		for _, rec := range c.srv.st.all(retentionPoliciesKind.Name) {
			if strings.EqualFold(rec.space, c.SpaceID) && strings.EqualFold(str(rec.doc, "RetentionType"), t) {
				return c.srv.present(retentionPoliciesKind, rec), nil
			}
		}
		return nil, notFound(t)
	})
	addRoute(http.MethodPut, "retentionpolicies/{id}", RouteSpace, itemHandler(http.MethodPut, retentionPoliciesKind))
	onSpaceCreated(func(c *Call, _ Doc) error {
		for _, t := range retentionTypes {
			// A fresh space's defaults: a new lifecycle's 30 days
			// (retentionDefault) for releases and deployed files; runbook
			// runs keep 100 (octopus.com/docs/runbooks/runbook-retention).
			r := retentionDefault()
			d := Doc{"Name": t, "RetentionType": t, "Strategy": r["Strategy"], "QuantityToKeep": r["QuantityToKeep"], "Unit": r["Unit"]}
			if t == "RunbookRetention" {
				d["QuantityToKeep"], d["Unit"] = 100, "Items"
			}
			if _, err := c.srv.createWithID(c, retentionPoliciesKind, d, ""); err != nil {
				return fmt.Errorf("create the %s retention policy: %w", t, err)
			}
		}
		return nil
	})
}
