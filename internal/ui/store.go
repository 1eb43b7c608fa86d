package ui

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver ("sqlite")
)

// Job states. A job is queued, then starting (the request to Octopus is
// being sent), running (its task id is known and tracked), and ends done
// (the task ended; TaskState says how), failed (Octopus refused to start
// it) or interrupted (the UI stopped while starting it: it may or may not
// have started, so it is never sent again).
const (
	JobQueued      = "queued"
	JobStarting    = "starting"
	JobRunning     = "running"
	JobDone        = "done"
	JobFailed      = "failed"
	JobInterrupted = "interrupted"
)

// Job kinds.
const (
	KindDeploy        = "deploy"
	KindRunbook       = "runbook"
	KindCreateRelease = "create-release"
)

// Job is one action a user asked for: one deployment or runbook run for
// one tenant, or one release creation.
type Job struct {
	ID   int64  `json:"id"`
	Key  string `json:"key"` // idempotency key: a second Enqueue with it returns the first job
	User string `json:"user"`
	Team string `json:"team"`
	Kind string `json:"kind"`

	Instance        string `json:"instance"`
	SpaceID         string `json:"spaceId"`
	SpaceName       string `json:"spaceName"`
	ProjectID       string `json:"projectId"`
	ProjectName     string `json:"projectName"`
	EnvironmentID   string `json:"environmentId,omitempty"`
	EnvironmentName string `json:"environmentName,omitempty"`
	TenantID        string `json:"tenantId,omitempty"`
	TenantName      string `json:"tenantName,omitempty"`
	ReleaseID       string `json:"releaseId,omitempty"`
	ReleaseVersion  string `json:"releaseVersion,omitempty"`
	RunbookID       string `json:"runbookId,omitempty"`
	RunbookName     string `json:"runbookName,omitempty"`

	State     string    `json:"state"`
	TaskID    string    `json:"taskId,omitempty"`
	TaskState string    `json:"taskState,omitempty"`
	Error     string    `json:"error,omitempty"`
	Created   time.Time `json:"created"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
}

// Active reports whether the job holds a slot (its team's and its
// instance's): it is being started or its task runs.
func (j Job) Active() bool { return j.State == JobStarting || j.State == JobRunning }

// Ended reports whether the job will not change any more.
func (j Job) Ended() bool {
	return j.State == JobDone || j.State == JobFailed || j.State == JobInterrupted
}

// Describe says what the job does, for pages and the audit log.
func (j Job) Describe() string {
	switch j.Kind {
	case KindDeploy:
		return fmt.Sprintf("deploy %s %s to %s for %s", j.ProjectName, j.ReleaseVersion, j.EnvironmentName, j.TenantName)
	case KindRunbook:
		return fmt.Sprintf("run %s / %s in %s for %s", j.ProjectName, j.RunbookName, j.EnvironmentName, j.TenantName)
	case KindCreateRelease:
		v := j.ReleaseVersion
		if v == "" {
			v = "(next version)"
		}
		return fmt.Sprintf("create release %s of %s", v, j.ProjectName)
	}
	return j.Kind
}

// JobFilter selects jobs; empty fields do not filter.
type JobFilter struct {
	States []string
	Limit  int
}

// AuditEntry is one line of the audit log: who asked for what, when, on
// which instance, and how it ended.
type AuditEntry struct {
	ID       int64
	At       time.Time
	User     string
	Action   string
	Instance string
	Detail   string
	Outcome  string
	JobID    int64
}

// Session is a signed-in user's server-side session. Only the token's
// hash is stored.
type Session struct {
	TokenHash string
	User      string
	CSRF      string
	Expires   time.Time
}

// ErrNotFound is returned by Store lookups that find nothing.
var ErrNotFound = errors.New("not found")

// Store keeps the job queue, the audit log and the sessions. The SQLite
// implementation (OpenSQLite) is the embedded default; a shared database
// can implement it for several UI replicas.
type Store interface {
	// Enqueue adds j (state queued) unless a job with j.Key exists; it
	// returns the stored job and whether it was added.
	Enqueue(ctx context.Context, j Job) (Job, bool, error)
	// UpdateJob writes j's state and results. ErrNotFound if it is gone.
	UpdateJob(ctx context.Context, j Job) error
	// Job returns a job by id; ErrNotFound if there is none.
	Job(ctx context.Context, id int64) (Job, error)
	// Jobs returns jobs, oldest first.
	Jobs(ctx context.Context, f JobFilter) ([]Job, error)
	// AddAudit appends an entry.
	AddAudit(ctx context.Context, e AuditEntry) error
	// Audit returns the newest entries first; of one user unless user is "".
	Audit(ctx context.Context, user string, limit int) ([]AuditEntry, error)
	// PutSession stores s; Session returns it by token hash (ErrNotFound);
	// DeleteSession removes it.
	PutSession(ctx context.Context, s Session) error
	Session(ctx context.Context, tokenHash string) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	Close() error
}

// sqliteStore is Store on a SQLite file through modernc.org/sqlite.
type sqliteStore struct{ db *sql.DB }

var _ Store = (*sqliteStore)(nil)

const schemaSQL = `
CREATE TABLE IF NOT EXISTS jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	key TEXT NOT NULL UNIQUE,
	state TEXT NOT NULL,
	created TEXT NOT NULL,
	data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	user TEXT NOT NULL,
	action TEXT NOT NULL,
	instance TEXT NOT NULL,
	detail TEXT NOT NULL,
	outcome TEXT NOT NULL,
	job_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	token_hash TEXT PRIMARY KEY,
	user TEXT NOT NULL,
	csrf TEXT NOT NULL,
	expires TEXT NOT NULL
);`

// OpenSQLite opens (creating if needed) the store in a SQLite file.
func OpenSQLite(path string) (Store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	if _, err := db.Exec(schemaSQL); err != nil {
		db.Close() //nolint:errcheck // the Exec error is the one to report
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	return &sqliteStore{db: db}, nil
}

const timeFmt = time.RFC3339Nano

func (s *sqliteStore) Enqueue(ctx context.Context, j Job) (Job, bool, error) {
	if j.Key == "" {
		return Job{}, false, errors.New("enqueue: a job needs an idempotency key")
	}
	j.State = JobQueued
	data, err := json.Marshal(j)
	if err != nil {
		return Job{}, false, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs(key, state, created, data) VALUES(?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
		j.Key, j.State, j.Created.UTC().Format(timeFmt), string(data))
	if err != nil {
		return Job{}, false, fmt.Errorf("enqueue: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Job{}, false, fmt.Errorf("enqueue: %w", err)
	}
	got, err := s.jobWhere(ctx, "key = ?", j.Key)
	if err != nil {
		return Job{}, false, err
	}
	return got, n == 1, nil
}

func (s *sqliteStore) UpdateJob(ctx context.Context, j Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = ?, data = ? WHERE id = ?`, j.State, string(data), j.ID)
	if err != nil {
		return fmt.Errorf("update job %d: %w", j.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update job %d: %w", j.ID, err)
	} else if n == 0 {
		return fmt.Errorf("update job %d: %w", j.ID, ErrNotFound)
	}
	return nil
}

func (s *sqliteStore) Job(ctx context.Context, id int64) (Job, error) {
	return s.jobWhere(ctx, "id = ?", id)
}

func (s *sqliteStore) jobWhere(ctx context.Context, where string, arg any) (Job, error) {
	var id int64
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT id, data FROM jobs WHERE `+where, arg).Scan(&id, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("job: %w", ErrNotFound)
	} else if err != nil {
		return Job{}, fmt.Errorf("read job: %w", err)
	}
	var j Job
	if err := json.Unmarshal([]byte(data), &j); err != nil {
		return Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	j.ID = id
	return j, nil
}

func (s *sqliteStore) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	q := `SELECT id, data FROM jobs`
	var args []any
	if len(f.States) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(",?", len(f.States)-1) + `)`
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		// The newest Limit jobs, still oldest first.
		q = `SELECT id, data FROM (` + strings.Replace(q, "ORDER BY id", "ORDER BY id DESC", 1) + fmt.Sprintf(` LIMIT %d) ORDER BY id`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close() //nolint:errcheck // read path; rows.Err is checked
	var out []Job
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		var j Job
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			return nil, fmt.Errorf("list jobs: job %d: %w", id, err)
		}
		j.ID = id
		out = append(out, j)
	}
	return out, rows.Err()
}

func (s *sqliteStore) AddAudit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit(at, user, action, instance, detail, outcome, job_id) VALUES(?,?,?,?,?,?,?)`,
		e.At.UTC().Format(timeFmt), e.User, e.Action, e.Instance, e.Detail, e.Outcome, e.JobID)
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

func (s *sqliteStore) Audit(ctx context.Context, user string, limit int) ([]AuditEntry, error) {
	q := `SELECT id, at, user, action, instance, detail, outcome, job_id FROM audit`
	var args []any
	if user != "" {
		q += ` WHERE user = ?`
		args = append(args, user)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, max(limit, 1))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close() //nolint:errcheck // read path; rows.Err is checked
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.Instance, &e.Detail, &e.Outcome, &e.JobID); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At, _ = time.Parse(timeFmt, at) // written by AddAudit in this format
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqliteStore) PutSession(ctx context.Context, ss Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO sessions(token_hash, user, csrf, expires) VALUES(?,?,?,?)`,
		ss.TokenHash, ss.User, ss.CSRF, ss.Expires.UTC().Format(timeFmt))
	if err != nil {
		return fmt.Errorf("store session: %w", err)
	}
	return nil
}

func (s *sqliteStore) Session(ctx context.Context, tokenHash string) (Session, error) {
	ss := Session{TokenHash: tokenHash}
	var exp string
	err := s.db.QueryRowContext(ctx, `SELECT user, csrf, expires FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&ss.User, &ss.CSRF, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	} else if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	ss.Expires, err = time.Parse(timeFmt, exp)
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	return ss, nil
}

func (s *sqliteStore) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s *sqliteStore) Close() error { return s.db.Close() }
