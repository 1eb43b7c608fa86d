package promote

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Actions a Change can carry.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// Options select what a promotion carries.
type Options struct {
	// Spaces are the source spaces to carry, by name; AllSpaces carries every
	// one.
	Spaces    []string
	AllSpaces bool
	// Rename maps kind -> source name -> target name (--rename
	// KIND:SOURCE=TARGET), for names that differ on purpose.
	Rename map[string]map[string]string
	// Include limits the kinds written (empty: all). Kinds left out are still
	// read, so references to them resolve by name.
	Include []string
	// Exclude maps kind -> keys (names) never written.
	Exclude map[string][]string
	// Prune deletes target documents of the included kinds the source lacks.
	Prune bool
	// Secrets give the sensitive values the target lacks.
	Secrets []Secret
	// Overlay holds the target's own values, never overwritten.
	Overlay []Overlay
}

// Change is one planned write. Fields maps a field to [have, want] in the
// comparison form (references by name, secrets as SensitiveMark).
type Change struct {
	Action string            `json:"action"`
	Kind   string            `json:"kind"`
	Space  string            `json:"space,omitempty"`
	Name   string            `json:"name"`
	ID     string            `json:"id,omitempty"`
	Fields map[string][2]any `json:"fields,omitempty"`
	// NeedsValue lists the secrets the target lacks that --secrets does not
	// give ("kind owner name").
	NeedsValue []string `json:"needsValue,omitempty"`
	// Overlay lists the fields the overlay file sets.
	Overlay []string `json:"overlay,omitempty"`

	kind *Kind
	pair *spacePair
	want Document
}

// Plan is a promotion's ordered changes.
type Plan struct {
	Changes []Change `json:"changes"`
	// NeedsValue lists every secret the target lacks and no input gives.
	NeedsValue []string `json:"needsValue,omitempty"`

	p *Promotion
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// spacePair is a source space and the target space it is carried to.
type spacePair struct {
	src, tgt *spaceState
}

// Promotion is one source -> target comparison.
type Promotion struct {
	Source, Target Port
	Options        Options

	srcSys, tgtSys *spaceState
	pairs          []*spacePair
	// sysPlanned are the System documents this run creates, by kind.
	sysPlanned map[string]map[string]bool
}

// Plan reads both instances and returns the changes that make the target
// match the source. It writes nothing. Bad references are all returned, as
// one error, before anything is written.
func (pr *Promotion) Plan(ctx context.Context) (*Plan, error) {
	if err := pr.Options.check(); err != nil {
		return nil, err
	}
	spaceKind := kindByName("space")
	pr.srcSys = &spaceState{kinds: map[string]*index{}}
	pr.tgtSys = &spaceState{kinds: map[string]*index{}}
	srcSpaces, err := pr.Source.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	tgtSpaces, err := pr.Target.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	indexKind(pr.srcSys, spaceKind, srcSpaces, pr.Options.Rename["space"])
	indexKind(pr.tgtSys, spaceKind, tgtSpaces, nil)
	if err := loadSystem(ctx, pr.Source, pr.srcSys, pr.Options.Rename); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if err := loadSystem(ctx, pr.Target, pr.tgtSys, nil); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	pr.sysPlanned = map[string]map[string]bool{}
	sysPair := &spacePair{src: pr.srcSys, tgt: pr.tgtSys}

	names := pr.Options.Spaces
	if pr.Options.AllSpaces {
		names = nil
		for _, d := range srcSpaces {
			names = append(names, str(d, "Name"))
		}
	}
	plan := &Plan{p: pr}
	var errs []error
	pr.pairs = nil
	for _, name := range names {
		var src Document
		for _, d := range srcSpaces {
			if str(d, "Name") == name {
				src = d
			}
		}
		if src == nil {
			errs = append(errs, fmt.Errorf("space %q is not on the source instance", name))
			continue
		}
		key, _ := keyOf(pr.srcSys, spaceKind, src, pr.Options.Rename["space"])
		pair := &spacePair{
			src: &spaceState{id: str(src, "Id"), name: name, kinds: map[string]*index{}, sys: pr.srcSys},
			tgt: &spaceState{name: key, kinds: map[string]*index{}, sys: pr.tgtSys},
		}
		if err := load(ctx, pr.Source, pair.src, pr.Options.Rename); err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		if t := pr.tgtSys.ix("space").byKey[key]; t != nil {
			pair.tgt.id = str(t, "Id")
			if err := load(ctx, pr.Target, pair.tgt, nil); err != nil {
				return nil, fmt.Errorf("target: %w", err)
			}
		}
		pr.pairs = append(pr.pairs, pair)
		if c, err := pr.planOne(spaceKind, sysPair, key, src, nil); err != nil {
			errs = append(errs, err)
		} else if c != nil {
			c.pair = pair
			plan.Changes = append(plan.Changes, *c)
			if c.Action == Create {
				pr.markPlanned("space", key)
			}
		}
	}
	if len(pr.pairs) > 0 {
		changes, err := pr.planSystem(sysPair)
		errs = append(errs, err...)
		plan.Changes = append(plan.Changes, changes...)
	}
	for _, pair := range pr.pairs {
		changes, err := pr.planSpace(pair)
		errs = append(errs, err...)
		plan.Changes = append(plan.Changes, changes...)
	}
	if len(errs) > 0 {
		return nil, &PlanError{Errs: errs}
	}
	for _, c := range plan.Changes {
		plan.NeedsValue = append(plan.NeedsValue, c.NeedsValue...)
	}
	return plan, nil
}

// PlanError lists every reference or input problem found while planning.
type PlanError struct{ Errs []error }

func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString("cannot promote:")
	for _, err := range e.Errs {
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

// ExitCode: the source and the run's selection disagree, nothing was written.
func (e *PlanError) ExitCode() int { return 80 }

func (pr *Promotion) markPlanned(kind, key string) {
	if pr.sysPlanned[kind] == nil {
		pr.sysPlanned[kind] = map[string]bool{}
	}
	pr.sysPlanned[kind][key] = true
}

// planSystem plans the System kinds besides spaces (custom user roles): once
// per run, whatever the spaces, before the spaces' kinds that refer to them.
func (pr *Promotion) planSystem(pair *spacePair) ([]Change, []error) {
	var out []Change
	var errs []error
	for _, k := range Sorted() {
		if !k.System || k.Name == "space" {
			continue
		}
		six, tix := pair.src.ix(k.Name), pair.tgt.ix(k.Name)
		for _, key := range six.keys {
			if !pr.carried(k, key) || (k.ReadOnly != nil && k.ReadOnly(six.byKey[key])) {
				continue
			}
			c, err := pr.planOne(k, pair, key, six.byKey[key], pr.sysPlanned)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if c == nil {
				continue
			}
			if c.Action == Create {
				pr.markPlanned(k.Name, key)
			}
			out = append(out, *c)
		}
		if !pr.Options.Prune || !pr.included(k.Name) {
			continue
		}
		for _, key := range tix.keys {
			d := tix.byKey[key]
			if _, ok := six.byKey[key]; ok || pr.excluded(k.Name, key) || pr.kept(k, d) {
				continue
			}
			out = append(out, Change{Action: Delete, Kind: k.Name, Name: key, ID: str(d, "Id"), kind: k, pair: pair})
		}
	}
	return out, errs
}

// kept reports a target document prune leaves alone.
func (pr *Promotion) kept(k *Kind, d Document) bool {
	return (k.ReadOnly != nil && k.ReadOnly(d)) || (k.Kept != nil && k.Kept(d))
}

// planSpace plans the space-scoped kinds of one space, dependencies first,
// then the deletions (with Prune) dependants first.
func (pr *Promotion) planSpace(pair *spacePair) ([]Change, []error) {
	var out []Change
	var errs []error
	planned := map[string]map[string]bool{} // kind -> keys created in this run
	for kind, keys := range pr.sysPlanned {
		planned[kind] = keys
	}
	sorted := Sorted()
	for _, k := range sorted {
		if k.System {
			continue
		}
		planned[k.Name] = map[string]bool{}
		six, tix := pair.src.ix(k.Name), pair.tgt.ix(k.Name)
		for _, key := range six.keys {
			if !pr.carried(k, key) || (k.ReadOnly != nil && k.ReadOnly(six.byKey[key])) {
				continue
			}
			c, err := pr.planOne(k, pair, key, six.byKey[key], planned)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if c == nil {
				continue
			}
			if c.Action == Create {
				planned[k.Name][key] = true
			}
			out = append(out, *c)
		}
		_ = tix
	}
	if pr.Options.Prune {
		deleted := map[string]map[string]bool{}
		for i := len(sorted) - 1; i >= 0; i-- {
			k := sorted[i]
			if k.System || k.Via != "" || !pr.included(k.Name) {
				continue
			}
			deleted[k.Name] = map[string]bool{}
			six, tix := pair.src.ix(k.Name), pair.tgt.ix(k.Name)
			for _, key := range tix.keys {
				d := tix.byKey[key]
				if _, ok := six.byKey[key]; ok || pr.excluded(k.Name, key) || pr.kept(k, d) {
					continue
				}
				deleted[k.Name][key] = true
			}
		}
		// Deleting an owner deletes what it owns: list only the owner.
		for i := len(sorted) - 1; i >= 0; i-- {
			k := sorted[i]
			for _, key := range pair.tgt.ix(k.Name).keys {
				if !deleted[k.Name][key] || (k.Owner != "" && deleted[k.Owner][ownerOf(k, key)]) {
					continue
				}
				out = append(out, Change{Action: Delete, Kind: k.Name, Space: pair.tgt.name, Name: key,
					ID: str(pair.tgt.ix(k.Name).byKey[key], "Id"), kind: k, pair: pair})
			}
		}
	}
	return out, errs
}

// planOne compares one source document with the target's and returns the
// change, or nil when they agree.
func (pr *Promotion) planOne(k *Kind, pair *spacePair, key string, src Document, planned map[string]map[string]bool) (*Change, error) {
	want, refs, err := canon(pair.src, k, key, src)
	if err != nil {
		return nil, err
	}
	overlaid := pr.applyOverlay(k, pair.tgt.name, key, want)
	tgt := pair.tgt.ix(k.Name).byKey[key]
	var errs []error
	for _, r := range refs {
		if pair.tgt.ix(r.kind).byKey[r.key] != nil || planned[r.kind][r.key] {
			continue
		}
		if rk := kindByName(r.kind); pair.tgt.id == "" && rk.ReadOnly != nil && rk.ReadOnly(pair.src.ix(r.kind).byKey[r.key]) {
			continue // the server makes it with the space (built-in feeds)
		}
		why := "which the target lacks"
		switch {
		case !pr.included(r.kind):
			why += " and --include leaves out"
		case pr.excluded(r.kind, r.key):
			why += " and --exclude leaves out"
		default:
			why += " and this run does not create"
		}
		errs = append(errs, &RefError{Kind: k.Name, Key: key, Field: r.field, RefKind: r.kind, Ref: r.key, Why: why})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c := &Change{Kind: k.Name, Name: key, kind: k, pair: pair, want: want, Overlay: overlaid}
	if !k.System {
		c.Space = pair.tgt.name
	}
	if tgt == nil {
		if k.Via != "" {
			// The server made (or will make) it with its owner.
			c.Action = Update
		} else {
			c.Action = Create
		}
		c.Fields = map[string][2]any{}
		for f, v := range want {
			c.Fields[f] = [2]any{nil, v}
		}
	} else {
		have, _, err := canon(pair.tgt, k, key, tgt)
		if err != nil {
			// The target refers to something promote cannot name (a
			// machine): the source's value replaces it.
			have = Document{}
		}
		c.Action, c.ID = Update, str(tgt, "Id")
		c.Fields = diffFields(have, want)
		if len(c.Fields) == 0 {
			return nil, nil
		}
	}
	c.NeedsValue = pr.missingSecrets(k, pair, key, want, tgt)
	return c, nil
}

// diffFields returns the owned fields that differ; a missing field and null
// are the same.
func diffFields(have, want Document) map[string][2]any {
	out := map[string][2]any{}
	for f, w := range want {
		h := have[f]
		if !reflect.DeepEqual(h, w) {
			out[f] = [2]any{h, w}
		}
	}
	return out
}

func (o *Options) check() error {
	var errs []error
	if len(o.Spaces) == 0 && !o.AllSpaces {
		errs = append(errs, errors.New("name the spaces to carry (--space) or --all-spaces"))
	}
	for _, k := range o.Include {
		if kindByName(k) == nil {
			errs = append(errs, fmt.Errorf("--include: unknown kind %q (kinds: %s)", k, strings.Join(KindNames(), ", ")))
		}
	}
	for k := range o.Exclude {
		if kindByName(k) == nil {
			errs = append(errs, fmt.Errorf("--exclude: unknown kind %q (kinds: %s)", k, strings.Join(KindNames(), ", ")))
		}
	}
	for k := range o.Rename {
		if kindByName(k) == nil {
			errs = append(errs, fmt.Errorf("--rename: unknown kind %q (kinds: %s)", k, strings.Join(KindNames(), ", ")))
		}
	}
	if len(errs) > 0 {
		return &PlanError{Errs: errs}
	}
	return nil
}

func (pr *Promotion) included(kind string) bool {
	if len(pr.Options.Include) == 0 {
		return true
	}
	k := kindByName(kind)
	// A singleton travels with its owner unless named on its own.
	return slices.Contains(pr.Options.Include, kind) || (k != nil && k.Via != "" && slices.Contains(pr.Options.Include, k.Owner))
}

func (pr *Promotion) excluded(kind, key string) bool {
	if slices.Contains(pr.Options.Exclude[kind], key) {
		return true
	}
	k := kindByName(kind)
	if k != nil && k.Owner != "" {
		return pr.excluded(k.Owner, ownerOf(k, key))
	}
	return false
}

// carried reports whether this run writes the document.
func (pr *Promotion) carried(k *Kind, key string) bool {
	return pr.included(k.Name) && !pr.excluded(k.Name, key)
}

// Summary counts the changes per action, for the last line of a plan.
func (p *Plan) Summary() string {
	n := map[string]int{}
	for _, c := range p.Changes {
		n[c.Action]++
	}
	var parts []string
	for _, a := range []string{Create, Update, Delete} {
		parts = append(parts, fmt.Sprintf("%d to %s", n[a], a))
	}
	s := strings.Join(parts, ", ")
	if len(p.NeedsValue) > 0 {
		sort.Strings(p.NeedsValue)
		s += fmt.Sprintf(", %d secret(s) need a value", len(p.NeedsValue))
	}
	return s
}
