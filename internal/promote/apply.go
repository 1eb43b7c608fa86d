package promote

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/octofleet/octofleet/steps"
)

// ErrMissingSecrets: the plan needs sensitive values nobody gave.
var ErrMissingSecrets = errors.New("sensitive values the target lacks are not given")

// MissingSecretsError lists them; apply writes nothing.
type MissingSecretsError struct{ Slots []string }

func (e *MissingSecretsError) Error() string {
	return fmt.Sprintf("%v (give them with --secrets FILE, or --allow-missing-secrets):\n  %s",
		ErrMissingSecrets, strings.Join(e.Slots, "\n  "))
}

func (e *MissingSecretsError) Unwrap() error { return ErrMissingSecrets }

// ExitCode: bad input, nothing written.
func (e *MissingSecretsError) ExitCode() int { return 80 }

// Apply makes the plan's changes in order (dependencies first, deletions
// last, dependants first), translating every reference to the target's IDs
// as it goes. Unless allowMissing, a plan that needs secrets nobody gave is
// refused before the first write.
func (p *Plan) Apply(ctx context.Context, allowMissing bool) error {
	if len(p.NeedsValue) > 0 && !allowMissing {
		return &MissingSecretsError{Slots: p.NeedsValue}
	}
	pr := p.p
	adopted := map[string]bool{} // owners whose server-made children were read
	for i := range p.Changes {
		c := &p.Changes[i]
		if err := pr.apply(ctx, c, adopted); err != nil {
			return fmt.Errorf("%s %s %q: %w", c.Action, c.Kind, c.Name, err)
		}
	}
	return nil
}

func (pr *Promotion) apply(ctx context.Context, c *Change, adopted map[string]bool) error {
	k := c.kind
	st := c.pair.tgt
	if k.System {
		st = pr.tgtSys
	}
	ix := st.ix(k.Name)
	switch c.Action {
	case Delete:
		if err := pr.Target.DeleteDocument(ctx, st.path(k, str(ix.byKey[c.Name], "Id"))); err != nil && !errors.Is(err, steps.ErrNotFound) {
			return err
		}
		ix.remove(c.Name)
		return nil
	case Create:
		if ix.byKey[c.Name] != nil {
			return pr.update(ctx, st, k, c) // made by the server with its space
		}
		if k.Owner != "" {
			// The server makes some children with their owner (a project's
			// Default channel): adopt them rather than create a duplicate.
			if err := pr.adoptChildren(ctx, st, k, ownerOf(k, c.Name), adopted); err != nil {
				return err
			}
			if ix.byKey[c.Name] != nil {
				return pr.update(ctx, st, k, c)
			}
		}
		doc, err := pr.build(st, k, c, Document{})
		if err != nil {
			return err
		}
		if k.Name == "space" {
			// A space needs a manager at creation; make it the API key's
			// user (create-space does the same).
			me, err := pr.Target.CurrentUserID(ctx)
			if err != nil {
				return err
			}
			doc["SpaceManagersTeamMembers"] = []any{me}
			doc["SpaceManagersTeams"] = []any{}
		}
		got, err := pr.Target.CreateDocument(ctx, st.path(k, ""), doc, func(ctx context.Context) (Document, error) {
			return pr.findByName(ctx, st, k, c.Name, doc)
		})
		if err != nil {
			return err
		}
		ix.put(c.Name, got)
		if k.Name == "space" {
			// A new space comes with documents the server makes (the Default
			// Lifecycle and Project Group, the built-in feeds): read them, so
			// that the source's are updated rather than created twice.
			c.pair.tgt.id = str(got, "Id")
			if err := load(ctx, pr.Target, c.pair.tgt, nil); err != nil {
				return err
			}
		}
		return nil
	default:
		return pr.update(ctx, st, k, c)
	}
}

// update PUTs the owned fields onto the target's document (read with its
// owner for a singleton of an owner created in this run).
func (pr *Promotion) update(ctx context.Context, st *spaceState, k *Kind, c *Change) error {
	ix := st.ix(k.Name)
	base := ix.byKey[c.Name]
	if base == nil && k.Via != "" {
		owner := st.ix(k.Owner).byKey[c.Name]
		id := str(owner, k.Via)
		if id == "" {
			return fmt.Errorf("the target's %s %q has no %s", k.Owner, c.Name, k.Via)
		}
		got, err := pr.Target.GetDocument(ctx, st.path(k, id))
		if err != nil {
			return err
		}
		base = got
	}
	if base == nil {
		return fmt.Errorf("not on the target")
	}
	if c.ID == "" {
		// Planned before the target had it (made by the server with its
		// space or owner): write only if it differs.
		if have, _, err := canon(st, k, c.Name, base); err == nil && len(diffFields(have, c.want)) == 0 && len(c.NeedsValue) == 0 {
			ix.put(c.Name, base)
			return nil
		}
	}
	doc, err := pr.build(st, k, c, deepCopy(base))
	if err != nil {
		return err
	}
	got, err := pr.Target.UpdateDocument(ctx, st.path(k, str(base, "Id")), doc)
	if err != nil {
		return err
	}
	ix.put(c.Name, got)
	return nil
}

// build writes the change's owned fields onto base in the target's terms:
// keys become the target's IDs, "(latest)" the target template's version,
// secrets the target's own (kept) or the --secrets value.
func (pr *Promotion) build(st *spaceState, k *Kind, c *Change, base Document) (Document, error) {
	want := deepCopy(c.want)
	for _, r := range k.refs() {
		r := r
		err := mapPathIf(want, split(r.Path), "", r.If, func(where, key string) (string, error) {
			d := st.ix(r.Kind).byKey[key]
			if d == nil {
				return "", &RefError{Kind: k.Name, Key: c.Name, Field: where, RefKind: r.Kind, Ref: key, Why: "which the target lacks"}
			}
			return str(d, "Id"), nil
		})
		if err != nil {
			return nil, err
		}
	}
	eachAction(want, func(props map[string]any) {
		if props["Octopus.Action.Template.Version"] != latestVersion {
			return
		}
		id, _ := props["Octopus.Action.Template.Id"].(string)
		for _, key := range st.ix("actiontemplate").keys {
			if t := st.ix("actiontemplate").byKey[key]; strings.EqualFold(str(t, "Id"), id) {
				props["Octopus.Action.Template.Version"] = versionText(t["Version"])
			}
		}
	})
	if vars, ok := want["Variables"].([]any); ok && k.Via != "" {
		have := targetSensitiveVariables(st, k, st.ix(k.Name).byKey[c.Name])
		for _, x := range vars {
			v, _ := x.(map[string]any)
			if b, _ := v["IsSensitive"].(bool); !b {
				continue
			}
			// Identity before the scope's keys became IDs: recompute on the
			// comparison form.
			v["Value"] = nil
		}
		cv, _ := c.want["Variables"].([]any)
		for i, x := range cv {
			w, _ := x.(map[string]any)
			if b, _ := w["IsSensitive"].(bool); !b {
				continue
			}
			v := vars[i].(map[string]any)
			if id, ok := have[variableIdentity(w)]; ok {
				v["Id"] = id // the server keeps a sensitive value sent with its Id and no value
				continue
			}
			kind, owner, name := secretSlot(k, c.Name, str(w, "Name"))
			if s, ok := pr.secretFor(st.name, kind, owner, name); ok {
				v["Value"] = s
			}
		}
	} else {
		tgt := st.ix(k.Name).byKey[c.Name]
		replaceMarks(want, "", func(path string) any {
			kind, owner, name := secretSlot(k, c.Name, path)
			if s, ok := pr.secretFor(st.name, kind, owner, name); ok {
				return map[string]any{"HasValue": true, "NewValue": s}
			}
			if tgt != nil {
				if m, ok := valueAt(Document(tgt), path).(map[string]any); ok && m["HasValue"] == true {
					return map[string]any{"HasValue": true, "NewValue": nil}
				}
			}
			return map[string]any{"HasValue": false, "NewValue": nil}
		})
	}
	for _, f := range k.Owned {
		v, ok := want[f]
		if !ok {
			continue
		}
		if _, had := base[f]; v == nil && !had {
			continue // never send a field the target's server did not show
		}
		base[f] = v
	}
	return base, nil
}

// replaceMarks replaces every SensitiveMark in v with fn's answer.
func replaceMarks(v any, path string, fn func(string) any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if x == SensitiveMark {
				t[k] = fn(join(path, k))
				continue
			}
			replaceMarks(x, join(path, k), fn)
		}
	case []any:
		for i, x := range t {
			if x == SensitiveMark {
				t[i] = fn(join(path, fmt.Sprint(i)))
				continue
			}
			replaceMarks(x, join(path, fmt.Sprint(i)), fn)
		}
	}
}

// adoptChildren reads, once per owner created in this run, the documents of
// kind k the server made with it, and files them under their keys.
func (pr *Promotion) adoptChildren(ctx context.Context, st *spaceState, k *Kind, ownerKey string, adopted map[string]bool) error {
	tag := k.Name + "\x00" + ownerKey
	owner := st.ix(k.Owner).byKey[ownerKey]
	if adopted[tag] || owner == nil {
		return nil
	}
	adopted[tag] = true
	ok := kindByName(k.Owner)
	sub := k.Path
	if k.Sub != "" {
		sub = k.Sub
	}
	docs, err := pr.Target.ListDocuments(ctx, st.path(ok, str(owner, "Id")+"/"+sub))
	if err != nil {
		return err
	}
	ix := st.ix(k.Name)
	for _, d := range docs {
		if key, found := keyOf(st, k, d, nil); found && ix.byKey[key] == nil {
			ix.put(key, d)
		}
	}
	return nil
}

// findByName looks a document up after a create whose answer was lost, so
// that it is not created twice.
func (pr *Promotion) findByName(ctx context.Context, st *spaceState, k *Kind, key string, sent Document) (Document, error) {
	name := nameOf(k, key)
	list := st.path(k, "") + "?partialName=" + url.QueryEscape(name)
	if k.NameRef != "" {
		// Named by a reference: the one sent, not yet filed under a key.
		list, name = st.path(k, ""), str(sent, k.NameField)
	}
	docs, err := pr.Target.ListDocuments(ctx, list)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if got := str(d, k.NameField); got != name && (k.NameRef == "" || !strings.EqualFold(got, name)) {
			continue
		}
		if k.NameRef != "" && st.ix(k.Name).keyOf[strings.ToLower(str(d, "Id"))] != "" {
			continue
		}
		if k.OwnerField != "" && !strings.EqualFold(str(d, k.OwnerField), str(sent, k.OwnerField)) {
			continue
		}
		return d, nil
	}
	return nil, fmt.Errorf("%s %q: %w", k.Name, key, steps.ErrNotFound)
}
