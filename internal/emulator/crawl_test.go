package emulator_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// TestCrawlLinks follows every link of every document reachable from /api
// and each space root, in a space holding one document of every kind; none
// may answer 404 or 5xx (real clients follow links rather than build URLs).
// internal/demo's TestDemo crawls the demo's hub the same way.
func TestCrawlLinks(t *testing.T) {
	s := emulator.NewEveryKindServer(t)
	res := emulatortest.Crawl(t, s)
	if *updateCrawl {
		writeKnownBroken(t, res)
		return
	}
	emulatortest.CheckCrawl(t, res)
}

var updateCrawl = flag.Bool("update-crawl", false, "rewrite emulatortest/crawl_known.go with the links broken now")

// writeKnownBroken rewrites the list of KnownBrokenLinks: after adding
// routes, go test ./internal/emulator/ -run TestCrawlLinks -update-crawl
// (review the diff: the list must only shrink).
func writeKnownBroken(t *testing.T, res emulatortest.CrawlResult) {
	seen := map[string]bool{}
	for _, b := range res.Broken {
		seen[b.Pattern()] = true
	}
	list := make([]string, 0, len(seen))
	for p := range seen {
		list = append(list, p)
	}
	sort.Strings(list)
	const path = "emulatortest/crawl_known.go"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	start := strings.Index(src, "var KnownBrokenLinks = []string{\n")
	end := strings.Index(src[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatalf("%s: no KnownBrokenLinks list", path)
	}
	var b strings.Builder
	for _, p := range list {
		fmt.Fprintf(&b, "\t%q,\n", p)
	}
	src = src[:start] + "var KnownBrokenLinks = []string{\n" + b.String() + src[start+end+1:]
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}
