package octopus

import (
	"context"
	"fmt"
	"net/url"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tagsets"

	"github.com/octofleet/octofleet/steps"
)

// TagSets returns the tag sets of a space, in one request per 1000 sets.
func (c *Client) TagSets(ctx context.Context, spaceID string) ([]steps.TagSet, error) {
	return listAs(ctx, c, "/api/"+url.PathEscape(spaceID)+"/tagsets", tagSetFromSDK)
}

// CreateTagSet creates a multi-select tenant tag set with its tags.
func (c *Client) CreateTagSet(ctx context.Context, ts steps.TagSet) (steps.TagSet, error) {
	set := tagsets.NewTagSet(ts.Name) // Scopes [Tenant], Type MultiSelect
	set.SpaceID = ts.SpaceID
	set.Description = ts.Description
	set.Tags = mergeTags(nil, ts.Tags)
	got, err := createOnce(ctx, c, fmt.Sprintf("tag set %q", ts.Name),
		func() (*tagsets.TagSet, error) { return tagsets.Add(c.sdk, set) },
		func() (*tagsets.TagSet, error) {
			return findListed(ctx, c, "/api/"+url.PathEscape(ts.SpaceID)+"/tagsets?partialName="+url.QueryEscape(ts.Name),
				ts.Name, "tag set", func(x *tagsets.TagSet) string { return x.Name })
		})
	if err != nil {
		return steps.TagSet{}, err
	}
	return tagSetFromSDK(got), nil
}

// UpdateTagSet reads the tag set, replaces its name, description and tags
// (tags are matched by ID, keeping what the domain type does not carry;
// tags without an ID are added) and writes the whole set: Octopus edits
// tags only through their set.
func (c *Client) UpdateTagSet(ctx context.Context, ts steps.TagSet) (steps.TagSet, error) {
	updated, err := readModifyWrite(ctx, "tag set "+ts.ID,
		func() (*tagsets.TagSet, error) { return tagsets.GetByID(c.sdk, ts.SpaceID, ts.ID) },
		func(got *tagsets.TagSet) {
			got.Name = ts.Name
			got.Description = ts.Description
			got.SpaceID = ts.SpaceID
			got.Tags = mergeTags(got.Tags, ts.Tags)
		},
		func(got *tagsets.TagSet) (*tagsets.TagSet, error) { return tagsets.Update(c.sdk, got) })
	if err != nil {
		return steps.TagSet{}, err
	}
	return tagSetFromSDK(updated), nil
}

// mergeTags builds the SDK tag list for want, reusing the SDK tag of the same
// ID so that fields the domain type does not carry (SortOrder,
// CanonicalTagName) survive.
func mergeTags(have []*tagsets.Tag, want []steps.Tag) []*tagsets.Tag {
	byID := map[string]*tagsets.Tag{}
	for _, t := range have {
		if t != nil && t.ID != "" {
			byID[t.ID] = t
		}
	}
	out := make([]*tagsets.Tag, 0, len(want))
	for _, w := range want {
		t := tagsets.NewTag(w.Name, w.Color)
		if h, ok := byID[w.ID]; ok && w.ID != "" {
			c := *h
			t = &c
			t.Name, t.Color = w.Name, w.Color
		}
		t.Description = w.Description
		out = append(out, t)
	}
	return out
}

func tagSetFromSDK(ts *tagsets.TagSet) steps.TagSet {
	out := steps.TagSet{ID: ts.ID, SpaceID: ts.SpaceID, Name: ts.Name, Description: ts.Description}
	for _, t := range ts.Tags {
		if t != nil {
			out.Tags = append(out.Tags, steps.Tag{ID: t.ID, Name: t.Name, Color: t.Color, Description: t.Description})
		}
	}
	return out
}
