package emulator_test

import (
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
	emulatortest.CheckCrawl(t, emulatortest.Crawl(t, s))
}
