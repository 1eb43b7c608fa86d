package emulator

// Subscriptions (octopus-api.md §3.15) are space-scoped documents. The 2026
// server types EventNotificationSubscription.WebhookHeaderValue as a
// PropertyValueResource: a header value sent as a plain string is stored as a
// secret and served as a SensitiveValue, like every other secret.
var subscriptionsKind *Kind

func init() {
	subscriptionsKind = registerKind(&Kind{
		Name:          "Subscriptions",
		Segment:       "subscriptions",
		Scope:         SpaceScoped,
		ItemType:      "Subscription",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName,spaces}",
		Less:          byName,
		Defaults: func(_ *Call, d Doc) error {
			subscriptionShape(d, nil)
			return nil
		},
		BeforeUpdate: func(_ *Call, d, old Doc) error {
			subscriptionShape(d, old)
			return nil
		},
		Validate: func(_ *Call, d, _ Doc) error {
			ens, _ := d["EventNotificationSubscription"].(map[string]any)
			switch str(ens, "EmailPriority") {
			case "Low", "Normal", "High":
			default:
				return badRequest("EmailPriority must be one of Low, Normal, High.")
			}
			return nil
		},
	})
}

// subscriptionFilterLists are the ID and constant lists of a subscription's
// filter (EventNotificationSubscriptionFilterResource).
var subscriptionFilterLists = []string{"Users", "Projects", "ProjectGroups", "Environments", "EventGroups",
	"EventCategories", "EventAgents", "Tenants", "Tags", "DocumentTypes"}

// subscriptionShape fills the defaults the real server (and the SDK's
// NewSubscription) uses and keeps the server's bookkeeping of old.
func subscriptionShape(d, old Doc) {
	d["Type"] = "Event"
	ensure(d, "IsDisabled", false)
	ens, _ := d["EventNotificationSubscription"].(map[string]any)
	if ens == nil {
		ens = Doc{}
		d["EventNotificationSubscription"] = ens
	}
	f, _ := ens["Filter"].(map[string]any)
	if f == nil {
		f = Doc{}
		ens["Filter"] = f
	}
	for _, k := range subscriptionFilterLists {
		ensure(f, k, []any{})
	}
	ensure(ens, "EmailTeams", []any{})
	ensure(ens, "WebhookTeams", []any{})
	ensure(ens, "EmailFrequencyPeriod", "01:00:00")
	ensure(ens, "EmailPriority", "Normal")
	ensure(ens, "EmailShowDatesInTimeZoneId", "UTC")
	ensure(ens, "WebhookTimeout", "00:00:10")
	ensure(ens, "WebhookURI", nil)
	ensure(ens, "WebhookHeaderKey", nil)
	switch v := ens["WebhookHeaderValue"].(type) {
	case string:
		ens["WebhookHeaderValue"] = Doc{"HasValue": v != "", "NewValue": v}
	case nil:
		ens["WebhookHeaderValue"] = Doc{"HasValue": false, "NewValue": nil}
	}
	// Digest and webhook progress belong to the server, not the client.
	oldEns, _ := old["EventNotificationSubscription"].(map[string]any)
	for _, k := range []string{"EmailDigestLastProcessed", "EmailDigestLastProcessedEventAutoId", "WebhookLastProcessed", "WebhookLastProcessedEventAutoId"} {
		if old != nil {
			ens[k] = oldEns[k]
		} else {
			ens[k] = nil
		}
	}
}
