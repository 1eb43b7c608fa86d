package emulator

import (
	"crypto/rand"
	"fmt"
)

// Extension points for files that add kinds: seeders run once when a fresh
// instance is created (after the built-in users, roles, teams and the
// default space exist); space initialisers run for every new space,
// including the default one, with a Call that addresses the new space.
var (
	seeders    []func(c *Call) error
	spaceInits []func(c *Call, space Doc) error
)

// addSeeder registers a function that seeds a fresh instance. Call it from init.
func addSeeder(fn func(c *Call) error) { seeders = append(seeders, fn) }

// onSpaceCreated registers a function that creates a new space's default
// documents. Call it from init.
func onSpaceCreated(fn func(c *Call, space Doc) error) { spaceInits = append(spaceInits, fn) }

// seed creates what a freshly installed Octopus Server has. Expects s.mu held.
func (s *Server) seed(c *Call) error {
	id, err := newUUID()
	if err != nil {
		return err
	}
	s.installationID = id
	if err := s.ensureAdminKey(c); err != nil {
		return err
	}
	if err := s.seedUserRoles(c); err != nil {
		return err
	}
	if err := s.seedSystemTeams(c); err != nil {
		return err
	}
	if _, err := s.create(c, spacesKind, Doc{
		"Name":               "Default",
		"Description":        "This is the default space.",
		"IsDefault":          true,
		"SpaceManagersTeams": []any{"teams-administrators", "teams-managers"},
	}); err != nil {
		return fmt.Errorf("create default space: %w", err)
	}
	for _, fn := range seeders {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// newUUID returns a random version 4 UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate UUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
