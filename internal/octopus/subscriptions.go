package octopus

import (
	"context"
	"fmt"
	"net/url"

	"github.com/octofleet/octofleet/steps"
)

// Subscriptions are read and written raw: go-octopusdeploy v2.115.0 types
// EventNotificationSubscription.WebhookHeaderValue as a string, but the 2026
// server serves it as a PropertyValueResource (a SensitiveValue object once
// it is secret), which the SDK cannot decode. Updates read the document,
// change the fields steps.Subscription carries and write it back, so the
// server's bookkeeping (EmailDigestLastProcessed, WebhookLastProcessed, ...)
// is kept.

func subscriptionsPath(spaceID string) string {
	return "/api/" + url.PathEscape(spaceID) + "/subscriptions"
}

// Subscriptions implements steps.SettingsOctopus.
func (c *Client) Subscriptions(ctx context.Context, spaceID string) ([]steps.Subscription, error) {
	var docs []map[string]any
	if err := c.getRaw(ctx, subscriptionsPath(spaceID)+"/all", &docs); err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", spaceID, err)
	}
	out := make([]steps.Subscription, 0, len(docs))
	for _, d := range docs {
		out = append(out, subscriptionFrom(d))
	}
	return out, nil
}

// CreateSubscription implements steps.SettingsOctopus.
func (c *Client) CreateSubscription(ctx context.Context, s steps.Subscription) (steps.Subscription, error) {
	doc := map[string]any{"Type": "Event"}
	subscriptionInto(doc, s)
	find := func() (steps.Subscription, error) {
		subs, err := c.Subscriptions(ctx, s.SpaceID)
		if err != nil {
			return steps.Subscription{}, err
		}
		for _, x := range subs {
			if x.Name == s.Name {
				return x, nil
			}
		}
		return steps.Subscription{}, steps.ErrNotFound
	}
	got, err := createOnce(ctx, c, "subscription "+s.Name, func() (steps.Subscription, error) {
		var out map[string]any
		if err := c.postRaw(ctx, subscriptionsPath(s.SpaceID), doc, &out); err != nil {
			return steps.Subscription{}, err
		}
		return subscriptionFrom(out), nil
	}, find)
	if err != nil {
		return steps.Subscription{}, fmt.Errorf("create subscription %q: %w", s.Name, err)
	}
	return got, nil
}

// UpdateSubscription implements steps.SettingsOctopus.
func (c *Client) UpdateSubscription(ctx context.Context, s steps.Subscription) (steps.Subscription, error) {
	path := subscriptionsPath(s.SpaceID) + "/" + url.PathEscape(s.ID)
	var doc map[string]any
	if err := c.getRaw(ctx, path, &doc); err != nil {
		return steps.Subscription{}, fmt.Errorf("update subscription %q: %w", s.Name, err)
	}
	subscriptionInto(doc, s)
	var out map[string]any
	if err := c.putRaw(ctx, path, doc, &out); err != nil {
		return steps.Subscription{}, fmt.Errorf("update subscription %q: %w", s.Name, err)
	}
	return subscriptionFrom(out), nil
}

// DeleteSubscription implements steps.SettingsOctopus.
func (c *Client) DeleteSubscription(ctx context.Context, spaceID, id string) error {
	if err := c.deleteRaw(ctx, subscriptionsPath(spaceID)+"/"+url.PathEscape(id)); err != nil {
		return fmt.Errorf("delete subscription %s: %w", id, err)
	}
	return nil
}

func subscriptionFrom(d map[string]any) steps.Subscription {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	strs := func(m map[string]any, k string) []string {
		var out []string
		if l, ok := m[k].([]any); ok {
			for _, x := range l {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	ens, _ := d["EventNotificationSubscription"].(map[string]any)
	f, _ := ens["Filter"].(map[string]any)
	s := steps.Subscription{
		ID: str(d, "Id"), SpaceID: str(d, "SpaceId"), Name: str(d, "Name"),
		Filter: steps.SubscriptionFilter{
			Users: strs(f, "Users"), Projects: strs(f, "Projects"), ProjectGroups: strs(f, "ProjectGroups"),
			Environments: strs(f, "Environments"), Tenants: strs(f, "Tenants"), Tags: strs(f, "Tags"),
			EventGroups: strs(f, "EventGroups"), EventCategories: strs(f, "EventCategories"),
			EventAgents: strs(f, "EventAgents"), DocumentTypes: strs(f, "DocumentTypes"),
		},
		EmailTeams: strs(ens, "EmailTeams"), EmailFrequencyPeriod: str(ens, "EmailFrequencyPeriod"),
		EmailPriority: str(ens, "EmailPriority"), EmailShowDatesInTimeZoneID: str(ens, "EmailShowDatesInTimeZoneId"),
		WebhookURI: str(ens, "WebhookURI"), WebhookTeams: strs(ens, "WebhookTeams"),
		WebhookTimeout: str(ens, "WebhookTimeout"), WebhookHeaderKey: str(ens, "WebhookHeaderKey"),
	}
	s.IsDisabled, _ = d["IsDisabled"].(bool)
	switch v := ens["WebhookHeaderValue"].(type) {
	case string:
		s.WebhookHeaderValue.Has = v != ""
	case map[string]any:
		s.WebhookHeaderValue.Has, _ = v["HasValue"].(bool)
	}
	return s
}

func subscriptionInto(d map[string]any, s steps.Subscription) {
	d["Name"] = s.Name
	d["SpaceId"] = s.SpaceID
	d["IsDisabled"] = s.IsDisabled
	ens, _ := d["EventNotificationSubscription"].(map[string]any)
	if ens == nil {
		ens = map[string]any{}
		d["EventNotificationSubscription"] = ens
	}
	f, _ := ens["Filter"].(map[string]any)
	if f == nil {
		f = map[string]any{}
		ens["Filter"] = f
	}
	for k, v := range map[string][]string{
		"Users": s.Filter.Users, "Projects": s.Filter.Projects, "ProjectGroups": s.Filter.ProjectGroups,
		"Environments": s.Filter.Environments, "Tenants": s.Filter.Tenants, "Tags": s.Filter.Tags,
		"EventGroups": s.Filter.EventGroups, "EventCategories": s.Filter.EventCategories,
		"EventAgents": s.Filter.EventAgents, "DocumentTypes": s.Filter.DocumentTypes,
	} {
		f[k] = orEmpty(v)
	}
	ens["EmailTeams"] = orEmpty(s.EmailTeams)
	ens["WebhookTeams"] = orEmpty(s.WebhookTeams)
	for k, v := range map[string]string{
		"EmailFrequencyPeriod": s.EmailFrequencyPeriod, "EmailPriority": s.EmailPriority,
		"EmailShowDatesInTimeZoneId": s.EmailShowDatesInTimeZoneID, "WebhookURI": s.WebhookURI,
		"WebhookTimeout": s.WebhookTimeout, "WebhookHeaderKey": s.WebhookHeaderKey,
	} {
		// An empty string keeps what the server holds for "none" (null for
		// a subscription without a webhook), so that an update changes
		// nothing it does not have to and a restore gives back null.
		if cur, _ := ens[k].(string); cur == v {
			continue
		}
		if v == "" && (k == "WebhookURI" || k == "WebhookHeaderKey") {
			ens[k] = nil
			continue
		}
		ens[k] = v
	}
	hv := map[string]any{"HasValue": s.WebhookHeaderValue.Has, "NewValue": nil}
	if s.WebhookHeaderValue.NewValue != nil {
		hv["NewValue"] = *s.WebhookHeaderValue.NewValue
	}
	ens["WebhookHeaderValue"] = hv
}
