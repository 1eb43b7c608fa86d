package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// RestoreInstanceSettingsInput is the input of restore-instance-settings.
type RestoreInstanceSettingsInput struct {
	// From is a backup file written by clone-instance-settings.
	From string `json:"from,omitempty" name:"from" help:"Backup file written by clone-instance-settings." placeholder:"FILE"`
}

// RestoreInstanceSettings puts an instance's settings back to the values a
// clone-instance-settings backup recorded, and deletes what that clone
// created. Secrets cannot be restored (the backup never holds them): one the
// backup did not have is cleared, one it had is kept as it is now.
type RestoreInstanceSettings struct {
	In RestoreInstanceSettingsInput
	// Server is the URL of the instance being restored; when set, a backup
	// taken from another instance is refused.
	Server string
	rec    *reconciler
}

// Name implements Step.
func (s *RestoreInstanceSettings) Name() string { return "restore-instance-settings" }

// Plan reads the backup and the instance and returns the changes that put the
// backup's values back.
func (s *RestoreInstanceSettings) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	if s.In.From == "" {
		return Plan{}, &InputError{Field: "from", Err: errors.New("no backup file")}
	}
	bf, err := readBackup(s.In.From)
	if err != nil {
		return Plan{}, &InputError{Field: "from", Err: err}
	}
	if s.Server != "" && !sameServer(s.Server, bf.Server) {
		return Plan{}, &InputError{Field: "from", Err: fmt.Errorf("the backup was taken from %s, not from %s", bf.Server, redactURL(s.Server))}
	}
	rec := newReconciler(oct, reconcileOptions{restore: true, membership: true})
	p, err := rec.plan(ctx, s.Name(), bf.instanceState)
	if err != nil {
		return Plan{}, fmt.Errorf("plan restore from %s: %w", s.In.From, err)
	}
	s.rec = rec
	return p, nil
}

// Apply does the plan.
func (s *RestoreInstanceSettings) Apply(ctx context.Context, _ Octopus, p Plan) (Outputs, error) {
	if s.rec == nil {
		return nil, errors.New("apply before plan")
	}
	if err := s.rec.apply(ctx, p); err != nil {
		return nil, err
	}
	return Outputs{}, nil
}

// sameServer reports whether two server URLs name the same instance,
// ignoring case in scheme and host and a trailing slash.
func sameServer(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
}
