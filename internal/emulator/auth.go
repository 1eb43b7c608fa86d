package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// apiKeyPattern is the shape the SDK accepts (pkg/client IsAPIKey).
var apiKeyPattern = regexp.MustCompile(`^API-[A-Z0-9]+$`)

// adminUsername owns Options.APIKey.
const adminUsername = "admin"

// credential returns the key or token a request carries: the
// X-Octopus-ApiKey header, an Authorization: Bearer token, or the apikey
// query parameter (swagger securityDefinitions APIKeyQuery).
func credential(r *http.Request) string {
	if k := r.Header.Get("X-Octopus-ApiKey"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
		return strings.TrimSpace(a[7:])
	}
	for k, vs := range r.URL.Query() {
		if strings.EqualFold(k, "apikey") && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// hashKey is how API keys are kept: like the real server, the emulator stores
// only a hash, so neither memory dumps nor the state file hold usable keys.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// authenticate identifies the caller. This is the single place that knows
// who is calling; permission checks belong next to it.
func (s *Server) authenticate(r *http.Request) (userID, username string, ok bool) {
	key := credential(r)
	if key == "" {
		return "", "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	keyID, found := s.keyIndex[hashKey(key)]
	if !found {
		return "", "", false
	}
	k := s.st.get(apiKeysKind.Name, "", keyID)
	if k == nil {
		return "", "", false
	}
	if exp := str(k.doc, "Expires"); exp != "" {
		if t, err := time.Parse(time.RFC3339, exp); err == nil && !t.After(s.now()) {
			return "", "", false // an expired key is as good as none
		}
	}
	u := s.st.get(usersKind.Name, "", str(k.doc, "UserId"))
	if u == nil {
		return "", "", false
	}
	if active, set := u.doc["IsActive"].(bool); set && !active {
		return "", "", false
	}
	return str(u.doc, "Id"), str(u.doc, "Username"), true
}

// newAPIKey returns a fresh key in the shape the SDK accepts.
func newAPIKey() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.WriteString("API-")
	for range 27 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("generate API key: %w", err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String(), nil
}

// addAPIKey stores a key for a user and returns its served form. The
// plaintext is returned by the caller exactly once.
func (s *Server) addAPIKey(c *Call, userID, purpose, key string, expires any) (Doc, error) {
	d := Doc{
		"Purpose": purpose,
		"UserId":  userID,
		"Created": s.now().Format(timeLayout),
		"Expires": expires,
		"ApiKey":  map[string]any{"HasValue": true, "NewValue": hashKey(key), "Hint": keyHint(key)},
	}
	return s.create(c.InSpace(""), apiKeysKind, d)
}

// keyHint is the part of a key the real server shows to tell keys apart.
func keyHint(key string) string {
	if len(key) < 4 {
		return ""
	}
	return "..." + key[len(key)-4:]
}

// ensureAdminKey makes sure the admin user exists and Options.APIKey is one
// of its keys (a state file may have been written with another key).
func (s *Server) ensureAdminKey(c *Call) error {
	var admin *record
	for _, u := range s.st.all(usersKind.Name) {
		if strings.EqualFold(str(u.doc, "Username"), adminUsername) {
			admin = u
		}
	}
	if admin == nil {
		if _, err := s.create(c, usersKind, Doc{"Username": adminUsername, "DisplayName": "Administrator", "IsActive": true, "IsService": false}); err != nil {
			return fmt.Errorf("create admin user: %w", err)
		}
		return s.ensureAdminKey(c)
	}
	if _, ok := s.keyIndex[hashKey(s.opts.APIKey)]; ok {
		return nil
	}
	if _, err := s.addAPIKey(c, str(admin.doc, "Id"), "Emulator admin key", s.opts.APIKey, nil); err != nil {
		return fmt.Errorf("register admin API key: %w", err)
	}
	return nil
}

// CreateUser adds an active user with one API key, for tests. The user gets
// no team: add it to teams through the API to grant permissions.
func (s *Server) CreateUser(username, displayName string) (userID, apiKey string, err error) {
	key, err := newAPIKey()
	if err != nil {
		return "", "", fmt.Errorf("create user %q: %w", username, err)
	}
	err = s.mutate(func(c *Call) error {
		u, err := s.create(c, usersKind, Doc{"Username": username, "DisplayName": displayName, "IsActive": true, "IsService": false})
		if err != nil {
			return err
		}
		userID = str(u, "Id")
		_, err = s.addAPIKey(c, userID, "Created by CreateUser", key, nil)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("create user %q: %w", username, err)
	}
	return userID, key, nil
}
