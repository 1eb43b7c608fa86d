package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDictionaryExpand(t *testing.T) {
	t.Parallel()
	d := dictionary{}
	d.set("Name", "Acme", false)
	d.set("Octopus.Tenant.Name", "Acme Corp", false)
	d.set("Greeting", "hello #{Name}", false)
	d.set("Loop", "#{Loop}", false)
	d.set("Enabled", "True", false)
	d.set("Disabled", "False", false)
	d.set("Empty", "", false)
	d.set("Padded", "  x  ", false)
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"#{Name}", "Acme"},
		{"#{ name }", "Acme"},
		{"#{Octopus.Tenant.Name}!", "Acme Corp!"},
		{"#{Greeting}, #{Greeting}", "hello Acme, hello Acme"},
		{"#{Unknown} stays", "#{Unknown} stays"},
		{"##{Name} is escaped", "#{Name} is escaped"},
		{"#{Name | ToUpper} #{Name | ToLower} [#{Padded | Trim}]", "ACME acme [x]"},
		{"#{Name | Base64Encode}", "QWNtZQ=="},
		{`#{Greeting | JsonEscape}`, "hello Acme"},
		{"#{Name | NoSuchFilter}", "#{Name | NoSuchFilter}"},
		{"#{if Enabled}on#{/if}", "on"},
		{"#{if Disabled}on#{else}off#{/if}", "off"},
		{"#{if Empty}set#{else}empty#{/if}", "empty"},
		{"#{if Unknown}set#{else}unset#{/if}", "unset"},
		{"#{unless Disabled}runs#{/unless}", "runs"},
		{`#{if Name == "Acme"}yes#{else}no#{/if} #{if Name != "Acme"}yes#{else}no#{/if}`, "yes no"},
		{"#{if Enabled}a#{if Disabled}b#{else}c#{/if}d#{/if}", "acd"},
		{"--name #{Name}#{if Enabled} --flag#{/if}", "--name Acme --flag"},
		{"#{if Enabled}open", "open"},
		{"#{Loop}", "#{Loop}"},
		{"unclosed #{Name", "unclosed #{Name"},
	} {
		if got := d.expand(tc.in); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeServiceValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Ymx1ZQ==", "blue"},
		{"blue", "blue"},
		{"large", "large"},
		{"True", "True"},
		{"", ""},
		{"AAAA", "AAAA"}, // decodes to NUL bytes: kept as text
	} {
		if got := decodeServiceValue(tc.in); got != tc.want {
			t.Errorf("decodeServiceValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParsePackageFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, id, version, ext string }{
		{"octofleet.1.2.3.tar.gz", "octofleet", "1.2.3", ".tar.gz"},
		{"My.App.2.0.0-beta.1.zip", "My.App", "2.0.0-beta.1", ".zip"},
		{"tool.10.tgz", "tool", "10", ".tgz"},
	} {
		id, version, ext, err := parsePackageFile(tc.in)
		if err != nil || id != tc.id || version != tc.version || ext != tc.ext {
			t.Errorf("parsePackageFile(%q) = %q %q %q %v", tc.in, id, version, ext, err)
		}
	}
	for _, bad := range []string{"noversion.zip", "tool.1.0.0.exe"} {
		if _, _, _, err := parsePackageFile(bad); err == nil {
			t.Errorf("parsePackageFile(%q) accepted", bad)
		}
	}
}

// TestDictionaryExpandChainBounded: a chain of distinct variables each
// referring to the next eight times would expand 8^10 times; the expansion
// stops at maxExpanded and leaves the rest as written.
func TestDictionaryExpandChainBounded(t *testing.T) {
	t.Parallel()
	d := dictionary{}
	for i := range 12 {
		d.set(fmt.Sprintf("A%d", i), strings.Repeat(fmt.Sprintf("#{A%d}", i+1), 8), false)
	}
	d.set("A12", "x", false)
	start := time.Now()
	got := d.expand("#{A0}")
	if len(got) > maxExpanded || time.Since(start) > 10*time.Second {
		t.Errorf("expanded to %d bytes in %v", len(got), time.Since(start))
	}
	t.Logf("%d bytes in %v", len(got), time.Since(start))
}
