// Package secrettest is the one place tests say which values are secret
// (API keys, SMTP and feed passwords, sensitive variables, account
// secrets) and where a program's output may land (stdout, stderr, logs,
// plan and report files, exported folders, the emulator's log). Every
// watched output is checked against every registered secret when the test
// ends, and immediately by Check; a secret found fails the test, naming
// the output and the secret (shortened, so the failure does not repeat it).
package secrettest

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Secrets is one test's secret values and watched outputs.
type Secrets struct {
	t testing.TB

	mu      sync.Mutex
	values  []string
	sources []source
}

type source struct {
	name string
	text func() (string, error)
}

// New returns the test's set, holding values; the watched outputs are
// checked in a t.Cleanup.
func New(t testing.TB, values ...string) *Secrets {
	s := &Secrets{t: t}
	s.Add(values...)
	t.Cleanup(s.checkWatched)
	return s
}

// Add registers more secret values (empty ones are ignored).
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			s.values = append(s.values, v)
		}
	}
}

// Check fails the test when text, named name, holds a registered secret.
func (s *Secrets) Check(name, text string) {
	s.t.Helper()
	for _, v := range s.snapshot() {
		if strings.Contains(text, v) {
			s.t.Errorf("secret %s appears in %s", Short(v), name)
		}
	}
}

// Watch checks text() when the test ends.
func (s *Secrets) Watch(name string, text func() string) {
	s.watch(name, func() (string, error) { return text(), nil })
}

// WatchFile checks the file at path, if it exists, when the test ends.
func (s *Secrets) WatchFile(path string) {
	s.watch(path, func() (string, error) {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return "", nil
		}
		return string(b), err
	})
}

// WatchDir checks every file under dir when the test ends.
func (s *Secrets) WatchDir(dir string) {
	s.watch(dir, func() (string, error) {
		var all strings.Builder
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&all, "== %s\n%s\n", p, b)
			return nil
		})
		return all.String(), err
	})
}

// Logger returns a logger (debug level, so that every line is kept) whose
// output is checked when the test ends: give it to an emulator or a client.
func (s *Secrets) Logger(name string) *slog.Logger {
	b := &lockedBuffer{}
	s.Watch(name, b.String)
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (s *Secrets) watch(name string, text func() (string, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, source{name, text})
}

func (s *Secrets) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.values...)
}

func (s *Secrets) checkWatched() {
	s.mu.Lock()
	srcs := append([]source(nil), s.sources...)
	s.mu.Unlock()
	for _, src := range srcs {
		text, err := src.text()
		if err != nil {
			s.t.Errorf("read %s to check it for secrets: %v", src.name, err)
			continue
		}
		s.Check(src.name, text)
	}
}

// Short is a secret as a failure message may show it: its first four
// characters and its length.
func Short(v string) string {
	if len(v) <= 4 {
		return fmt.Sprintf("%q (%d characters)", strings.Repeat("*", len(v)), len(v))
	}
	return fmt.Sprintf("%q… (%d characters)", v[:4], len(v))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
