package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/octofleet/octofleet/steps"
)

// The dispatcher: every action goes through the job queue in the Store.
// Each pass starts queued jobs, oldest first, while their team is under
// its quota and their instance under its task cap, and polls the tasks of
// running jobs until they end. A job is marked starting (durably) before
// its request is sent and running with its task id after, so a UI that
// stops at any point never sends a request twice: on the next start,
// running jobs are tracked again, and a job caught starting is marked
// interrupted (it may or may not have started; the operator decides).

const (
	defaultTeamQuota = 2
	defaultTaskCap   = 5
)

// recover runs once at start, before the first dispatch pass.
func (s *Server) recoverJobs(ctx context.Context) error {
	jobs, err := s.store.Jobs(ctx, JobFilter{States: []string{JobStarting}})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		j.State = JobInterrupted
		j.Error = "the UI stopped while starting this job; it is not sent again: check the instance's tasks before retrying"
		j.Finished = s.now()
		if err := s.store.UpdateJob(ctx, j); err != nil {
			return err
		}
		s.audit(ctx, j, "interrupted")
	}
	return nil
}

func (s *Server) teamQuota(team string) int {
	for _, t := range s.cfg.Teams {
		if t.Name == team && t.MaxConcurrent > 0 {
			return t.MaxConcurrent
		}
	}
	return defaultTeamQuota
}

func (s *Server) taskCap(instance string) int {
	for _, in := range s.cfg.Instances {
		if in.Name == instance && in.TaskCap > 0 {
			return in.TaskCap
		}
	}
	return defaultTaskCap
}

// dispatch is one pass: track running jobs, then start what fits.
func (s *Server) dispatch(ctx context.Context) error {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	open, err := s.store.Jobs(ctx, JobFilter{States: []string{JobQueued, JobStarting, JobRunning}})
	if err != nil {
		return err
	}
	perTeam, perInstance := map[string]int{}, map[string]int{}
	for i, j := range open {
		if j.State != JobRunning {
			continue
		}
		if j, err = s.track(ctx, j); err != nil {
			s.log.Warn("track job", slog.Int64("job", j.ID), slog.String("error", err.Error()))
		}
		open[i] = j
	}
	for _, j := range open {
		if j.Active() {
			perTeam[j.Team]++
			perInstance[j.Instance]++
		}
	}
	for _, j := range open {
		if j.State != JobQueued || perTeam[j.Team] >= s.teamQuota(j.Team) || perInstance[j.Instance] >= s.taskCap(j.Instance) {
			continue
		}
		j, err := s.start(ctx, j)
		if err != nil {
			return err
		}
		if j.Active() {
			perTeam[j.Team]++
			perInstance[j.Instance]++
		}
	}
	return nil
}

// start sends a queued job's request. Only a Store error is returned; an
// Octopus refusal fails the job.
func (s *Server) start(ctx context.Context, j Job) (Job, error) {
	j.State, j.Started = JobStarting, s.now()
	if err := s.store.UpdateJob(ctx, j); err != nil {
		return j, err
	}
	var err error
	oct, err := s.client(ctx, j.Instance)
	if err == nil {
		switch j.Kind {
		case KindDeploy:
			var ex steps.Execution
			ex, err = oct.StartDeployment(ctx, j.SpaceID, steps.DeploymentRequest{ProjectID: j.ProjectID, ReleaseID: j.ReleaseID,
				EnvironmentID: j.EnvironmentID, TenantID: j.TenantID})
			j.TaskID = ex.TaskID
		case KindRunbook:
			var snap string
			snap, err = oct.PublishedRunbookSnapshot(ctx, j.SpaceID, j.RunbookID)
			if err == nil && snap == "" {
				err = fmt.Errorf("runbook %q has no published snapshot", j.RunbookName)
			}
			if err == nil {
				var ex steps.Execution
				ex, err = oct.StartRunbookRun(ctx, j.SpaceID, steps.RunbookRunRequest{ProjectID: j.ProjectID, RunbookID: j.RunbookID,
					SnapshotID: snap, EnvironmentID: j.EnvironmentID, TenantID: j.TenantID})
				j.TaskID = ex.TaskID
			}
		case KindCreateRelease:
			var rel struct{ ID, Name string }
			r, e := oct.CreateRelease(ctx, j.SpaceID, j.ProjectID, j.ReleaseVersion)
			rel.ID, rel.Name, err = r.ID, r.Name, e
			if err == nil {
				j.ReleaseID, j.ReleaseVersion = rel.ID, rel.Name
				s.cache.invalidate("releases/" + j.Instance + "/" + j.SpaceID + "/")
				s.cache.invalidate("dash/" + j.Instance + "/" + j.SpaceID)
			}
		default:
			err = fmt.Errorf("unknown job kind %q", j.Kind)
		}
	}
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return j, nil // stopping: left starting, recoverJobs marks it on the next start
	case err != nil:
		j.State, j.Error, j.Finished = JobFailed, err.Error(), s.now()
	case j.Kind == KindCreateRelease:
		j.State, j.Finished = JobDone, s.now()
	default:
		j.State = JobRunning
	}
	if uerr := s.store.UpdateJob(ctx, j); uerr != nil {
		return j, uerr
	}
	switch j.State {
	case JobFailed:
		s.audit(ctx, j, "failed: "+j.Error)
	case JobDone:
		s.audit(ctx, j, "done: release "+j.ReleaseVersion)
	default:
		s.audit(ctx, j, "started task "+j.TaskID)
	}
	return j, nil
}

// track polls a running job's task and records its end.
func (s *Server) track(ctx context.Context, j Job) (Job, error) {
	oct, err := s.client(ctx, j.Instance)
	if err != nil {
		return j, err
	}
	t, err := oct.Task(ctx, j.TaskID)
	if err != nil {
		return j, err
	}
	if t.State == j.TaskState && !t.IsCompleted {
		return j, nil
	}
	j.TaskState = t.State
	if t.IsCompleted {
		j.State, j.Finished, j.Error = JobDone, s.now(), t.ErrorMessage
	}
	if err := s.store.UpdateJob(ctx, j); err != nil {
		return j, err
	}
	if t.IsCompleted {
		s.audit(ctx, j, "ended: "+t.State)
		s.cache.invalidate("dash/" + j.Instance + "/" + j.SpaceID)
	}
	return j, nil
}

// audit records an event of a job; a failure to write it is logged.
func (s *Server) audit(ctx context.Context, j Job, outcome string) {
	if err := s.store.AddAudit(ctx, AuditEntry{At: s.now(), User: j.User, Action: j.Kind, Instance: j.Instance,
		Detail: j.Describe(), Outcome: outcome, JobID: j.ID}); err != nil {
		s.log.Error("audit log", slog.String("error", err.Error()))
	}
}
