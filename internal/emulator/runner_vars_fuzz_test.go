package emulator

import (
	"strings"
	"testing"
)

// FuzzDictionaryExpand: Octostache expansion of any template over any
// variable never panics, leaves text without "#{" as it is, and does
// bounded work: a variable that refers to itself, or a chain of variables
// each referring to the next many times, stops at maxExpanded
// (testdata/fuzz/FuzzDictionaryExpand: 8^10 expansions before).
func FuzzDictionaryExpand(f *testing.F) {
	for _, s := range []string{
		"plain", "#{Name}", "##{Name}", "#{Name | ToUpper | Base64Encode}", "#{Greeting | JsonEscape}",
		"#{if Enabled}on#{else}off#{/if}", `#{if Name == "Acme"}y#{/if}#{unless Name != "x"}n#{/unless}`,
		"#{if Enabled}open", "#{/if}#{else}", "unclosed #{Name", "#{Loop}", "#{Fan}", "#{Octopus.Action[Step].Output.X}",
	} {
		f.Add(s, "Custom", "x #{Name} y")
	}
	f.Fuzz(func(t *testing.T, text, name, value string) {
		d := dictionary{}
		d.set("Name", "Acme", false)
		d.set("Greeting", "hello #{Name}", false)
		d.set("Loop", "#{Loop}", false)
		d.set("Enabled", "True", false)
		d.set("Token", "s3cret", true)
		d.set(name, value, false)
		got := d.expand(text)
		if !strings.Contains(text, "#{") && got != text {
			t.Fatalf("expand(%q) = %q, want it unchanged", text, got)
		}
		if len(got) > maxExpanded+len(text) {
			t.Fatalf("expand(%q) with %s=%q made %d bytes", text, name, value, len(got))
		}
	})
}
