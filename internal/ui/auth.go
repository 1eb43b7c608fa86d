package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Roles, in increasing power: a viewer reads; an operator also deploys,
// runs runbooks and cancels tasks; an admin also reads everyone's audit log.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

var roleRank = map[string]int{RoleViewer: 1, RoleOperator: 2, RoleAdmin: 3}

// User is a configured user with its scope. An empty scope list means
// every instance / space / tenant / environment.
type User struct {
	UserConfig
}

// AtLeast reports whether the user's role is role or stronger.
func (u *User) AtLeast(role string) bool { return roleRank[u.Role] >= roleRank[role] }

// TeamName is the team whose quota the user's jobs use.
func (u *User) TeamName() string {
	if u.Team != "" {
		return u.Team
	}
	return u.Name
}

func inScope(list []string, name string) bool {
	return len(list) == 0 || slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}

// SeesInstance, SeesSpace, SeesTenant and SeesEnvironment check the user's
// scope by name. Every handler calls them on the server.
func (u *User) SeesInstance(name string) bool { return inScope(u.Instances, name) }

// SeesSpace reports whether the space (by name) of the instance is in scope.
func (u *User) SeesSpace(instance, space string) bool {
	return u.SeesInstance(instance) && inScope(u.Spaces, space)
}

// SeesTenant reports whether the tenant (by name) is in scope.
func (u *User) SeesTenant(name string) bool { return inScope(u.Tenants, name) }

// SeesEnvironment reports whether the environment (by name) is in scope.
func (u *User) SeesEnvironment(name string) bool { return inScope(u.Environments, name) }

// TenantScoped reports whether the user sees only some tenants: then the
// untenanted parts of a space (its whole task list) are hidden.
func (u *User) TenantScoped() bool { return len(u.Tenants) > 0 }

// HashPassword returns a bcrypt hash for the configuration.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("the password must have at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user is unknown, so a sign-in
// takes as long for an unknown name as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("octofleet-no-such-user"), bcrypt.MinCost)

// authenticate returns the user when name and password match.
func (s *Server) authenticate(name, password string) (*User, bool) {
	u, ok := s.users[name]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password)) //nolint:errcheck // timing only
		return nil, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, false
	}
	return u, true
}

const sessionCookie = "octofleet_session"

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// startSession stores a new session and sets its cookie: HttpOnly,
// SameSite=Lax (Strict would drop it on links from other sites' pages),
// Secure under TLS.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, u *User) error {
	tok := randomToken()
	ss := Session{TokenHash: hashToken(tok), User: u.Name, CSRF: randomToken(), Expires: s.now().Add(s.sessionTTL)}
	if err := s.store.PutSession(ctx, ss); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.tls, Expires: ss.Expires})
	return nil
}

// session returns the request's live session and its user.
func (s *Server) session(r *http.Request) (Session, *User, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return Session{}, nil, false
	}
	ss, err := s.store.Session(r.Context(), hashToken(c.Value))
	if err != nil {
		return Session{}, nil, false
	}
	u, ok := s.users[ss.User]
	if !ok || !s.now().Before(ss.Expires) {
		return Session{}, nil, false
	}
	return ss, u, true
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(r.Context(), hashToken(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.tls, MaxAge: -1, Expires: time.Unix(0, 0)})
	return nil
}

// validCSRF compares the form's token with the session's in constant time.
func validCSRF(ss Session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.CSRF)) == 1
}
