package emulatortest

import "testing"

// KnownBrokenLinks are the links (as Broken.Pattern) the real server's
// documents carry and whose routes the emulator does not serve yet. The list
// only shrinks: CheckCrawl fails on a broken link not listed and on an entry
// that resolves now.
var KnownBrokenLinks = []string{
	"/api/authentication/checklogininitiated",
	"/api/communityactiontemplates/{}/logo",
	"/api/configuration/versioncontrol/clear-cache",
	"/api/externalsecuritygroupproviders",
	"/api/featuresconfiguration",
	"/api/issuetrackers",
	"/api/letsencryptconfiguration",
	"/api/licenses/licenses-current",
	"/api/licenses/licenses-current-status",
	"/api/maintenanceconfiguration",
	"/api/octopusservernodes",
	"/api/octopusservernodes/summary",
	"/api/performanceconfiguration",
	"/api/serverconfiguration/settings",
	"/api/serverstatus/extensions",
	"/api/spaces/{}/logo",
	"/api/spaces/{}/search",
	"/api/upgradeconfiguration",
	"/api/users/authentication",
	"/api/users/external-search",
	"/api/users/identity-metadata",
	"/api/users/invitations",
	"/api/users/login",
	"/api/users/logout",
	"/api/users/register",
	"/api/workertoolslatestimages",
	"/api/{}/actiontemplates/{}/actionsUpdate",
	"/api/{}/actiontemplates/{}/logo",
	"/api/{}/actiontemplates/{}/usage",
	"/api/{}/build-information/bulk",
	"/api/{}/channels/rule-test",
	"/api/{}/deploymentprocesses/{}/template",
	"/api/{}/environments/sortorder",
	"/api/{}/environments/{}/metadata",
	"/api/{}/environments/{}/singlyScopedVariableDetails",
	"/api/{}/libraryvariablesets/{}/usages",
	"/api/{}/packages/raw",
	"/api/{}/projects/{}/deploymentsettings",
	"/api/{}/projects/{}/logo",
	"/api/{}/projects/{}/metadata",
	"/api/{}/runbookProcesses/{}",
	"/api/{}/runbookSnapshots/{}/packages",
	"/api/{}/runbookSnapshots/{}/snapshot-variables",
	"/api/{}/runbookSnapshots/{}/variables",
	"/api/{}/scheduledprojecttriggers",
	"/api/{}/tagsets/sortorder",
	"/api/{}/tenants/status",
	"/api/{}/tenants/tag-test",
	"/api/{}/tenants/variables-missing",
	"/api/{}/tenants/{}/logo",
	"/api/{}/variables",
	"/api/{}/variables/names",
	"/api/{}/variables/preview",
	"/api/{}/workerpools/dynamicworkertypes",
	"/api/{}/workerpools/sortorder",
	"/api/{}/workerpools/supportedtypes",
}

// CheckCrawl fails t for every broken link of res that KnownBrokenLinks
// does not list, and for every listed link that is not broken any more.
func CheckCrawl(t testing.TB, res CrawlResult) {
	t.Helper()
	known := map[string]bool{}
	for _, p := range KnownBrokenLinks {
		known[p] = true
	}
	stillBroken := map[string]bool{}
	for _, b := range res.Broken {
		stillBroken[b.Pattern()] = true
		if !known[b.Pattern()] {
			t.Errorf("GET %s: %d (link %s of %s)", b.URL, b.Status, b.Link, b.From)
		}
	}
	for _, p := range KnownBrokenLinks {
		if !stillBroken[p] {
			t.Errorf("KnownBrokenLinks lists %s, which resolves now (or was not reached): remove the entry", p)
		}
	}
	for _, u := range res.Unfilled {
		t.Logf("not followed, no document to fill its parameters: %s", u)
	}
	t.Logf("%d requests, %d broken links (%d routes known broken), %d templates unfilled", res.Requests, len(res.Broken), len(KnownBrokenLinks), len(res.Unfilled))
}
