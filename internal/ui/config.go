// Package ui is octofleet's web front end over a fleet of Octopus
// instances: pages served from a background-refreshed cache, local users
// with scoped roles checked in every handler, and a durable job queue
// (SQLite) through which every deployment and runbook run is started.
package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/octofleet/octofleet/schemas"
)

// Config is the document octofleet ui --config reads (schemas/ui.schema.json).
type Config struct {
	Listen          string           `json:"listen,omitempty"`
	Database        string           `json:"database,omitempty"`
	RefreshInterval string           `json:"refreshInterval,omitempty"`
	SessionTTL      string           `json:"sessionTTL,omitempty"`
	Instances       []InstanceConfig `json:"instances"`
	ManagementSpace *ManagementSpace `json:"managementSpace,omitempty"`
	Teams           []TeamConfig     `json:"teams,omitempty"`
	Users           []UserConfig     `json:"users"`
}

// ManagementSpace is where the fleet's tenants are.
type ManagementSpace struct {
	Instance string `json:"instance"`
	Space    string `json:"space"`
}

// InstanceConfig is one Octopus instance. APIKey is a reference (env:NAME
// or file:PATH), never the key itself.
type InstanceConfig struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	APIKey    string `json:"apiKey"`
	TaskCap   int    `json:"taskCap,omitempty"`
	RateLimit *int   `json:"rateLimit,omitempty"`
}

// TeamConfig is a team's job quota.
type TeamConfig struct {
	Name          string `json:"name"`
	MaxConcurrent int    `json:"maxConcurrent,omitempty"`
}

// UserConfig is one local user and its scoped role.
type UserConfig struct {
	Name         string   `json:"name"`
	PasswordHash string   `json:"passwordHash"`
	Role         string   `json:"role"`
	Team         string   `json:"team,omitempty"`
	Instances    []string `json:"instances,omitempty"`
	Spaces       []string `json:"spaces,omitempty"`
	Tenants      []string `json:"tenants,omitempty"`
	Environments []string `json:"environments,omitempty"`
}

// ConfigError is a configuration the schema accepts but that does not
// hold together (an unknown instance named, a duplicate user); the CLI
// exits 80 with it.
type ConfigError struct{ Issues []string }

func (e *ConfigError) Error() string {
	return "invalid ui configuration:\n  " + strings.Join(e.Issues, "\n  ")
}

// ExitCode makes the CLI exit 80 (bad input).
func (e *ConfigError) ExitCode() int { return 80 }

// LoadConfig reads a YAML or JSON configuration, validates it against
// schemas/ui.schema.json (every violation listed with its path) and checks
// its cross-references. Relative database paths resolve beside the file.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ui configuration: %w", err)
	}
	doc, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, &ConfigError{Issues: []string{fmt.Sprintf("%s: not YAML or JSON: %v", path, err)}}
	}
	var c Config
	if err := schemas.Decode("ui", doc, &c); err != nil {
		return nil, err
	}
	if c.Database == "" {
		c.Database = "octofleet-ui.db"
	}
	if !filepath.IsAbs(c.Database) {
		c.Database = filepath.Join(filepath.Dir(path), c.Database)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// check finds what the schema cannot: unknown names and duplicates.
func (c *Config) check() error {
	var issues []string
	instances := map[string]bool{}
	for i, in := range c.Instances {
		if instances[in.Name] {
			issues = append(issues, fmt.Sprintf("instances[%d].name: %q is named twice", i, in.Name))
		}
		instances[in.Name] = true
	}
	if m := c.ManagementSpace; m != nil && !instances[m.Instance] {
		issues = append(issues, fmt.Sprintf("managementSpace.instance: no instance is named %q", m.Instance))
	}
	users := map[string]bool{}
	for i, u := range c.Users {
		if users[u.Name] {
			issues = append(issues, fmt.Sprintf("users[%d].name: %q is named twice", i, u.Name))
		}
		users[u.Name] = true
		for _, n := range u.Instances {
			if !instances[n] {
				issues = append(issues, fmt.Sprintf("users[%d].instances: no instance is named %q", i, n))
			}
		}
	}
	for _, f := range []struct{ name, val string }{{"refreshInterval", c.RefreshInterval}, {"sessionTTL", c.SessionTTL}} {
		if f.val == "" {
			continue
		}
		if d, err := time.ParseDuration(f.val); err != nil || d <= 0 {
			issues = append(issues, fmt.Sprintf("%s: %q is not a positive duration", f.name, f.val))
		}
	}
	if len(issues) > 0 {
		return &ConfigError{Issues: issues}
	}
	return nil
}

// duration returns the parsed value, or def when it is empty.
func duration(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}

// ResolveSecret reads an env:NAME or file:PATH reference. The error names
// the reference, never a value.
func ResolveSecret(ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		v, ok := os.LookupEnv(name)
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("environment variable %s (from %q) is not set", name, ref)
		}
		return strings.TrimSpace(v), nil
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(strings.TrimPrefix(ref, "file:"))
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return "", fmt.Errorf("read %q: %v", ref, pe.Err)
			}
			return "", fmt.Errorf("read %q: cannot read the file", ref)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%q is empty", ref)
		}
		return v, nil
	}
	return "", fmt.Errorf("%q is not an env: or file: reference", ref)
}
