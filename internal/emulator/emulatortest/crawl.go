package emulatortest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Broken is a link that does not resolve.
type Broken struct {
	URL    string // the URL requested
	Status int
	From   string // the document that carried the link
	Link   string // the link's name and template as written
}

// CrawlResult is what Crawl found.
type CrawlResult struct {
	Requests int      // GETs sent
	Broken   []Broken // links answering 404 or 5xx
	// Unfilled are templated links with a path parameter for which the
	// crawl saw no document to fill it with.
	Unfilled []string
}

// maxCrawl bounds a crawl: paging links of large lists would otherwise make
// it walk every page.
const maxCrawl = 20000

var (
	templateExpr = regexp.MustCompile(`\{([/?&]?)([^}]*)\}`)
)

// Crawl follows every link of every document reachable from /api and from
// the root of every space with the admin key, the way a real client follows
// links, and reports those that do not resolve. Templated links are followed
// twice: with their optional parts left out and with sample values for their
// query parameters (skip=0, take=1); a path parameter ("{id}", "{/id}") is
// filled with the ID of a document of that collection the crawl has seen.
func Crawl(t testing.TB, srv *emulator.Server) CrawlResult {
	t.Helper()
	c := &crawler{t: t, srv: srv, seen: map[string]bool{}, ids: map[string]string{}, unfilled: map[string]bool{}}
	c.enqueue("/api", "", "seed")
	var spaces []struct{ Id string }
	Call(t, srv, http.MethodGet, "/api/spaces/all", nil, &spaces)
	for _, sp := range spaces {
		c.enqueue("/api/"+sp.Id, "", "seed")
	}
	// Templates wait until the plain links have been crawled, so that their
	// path parameters can be filled with IDs seen anywhere.
	for len(c.queue) > 0 || len(c.templates) > 0 {
		for len(c.queue) > 0 && c.res.Requests < maxCrawl {
			j := c.queue[0]
			c.queue = c.queue[1:]
			c.get(j)
		}
		if len(c.queue) > 0 || len(c.templates) == 0 {
			break
		}
		ts := c.templates
		c.templates = nil
		for _, j := range ts {
			c.expand(j)
		}
	}
	for u := range c.unfilled {
		c.res.Unfilled = append(c.res.Unfilled, u)
	}
	sort.Strings(c.res.Unfilled)
	sort.Slice(c.res.Broken, func(i, j int) bool { return c.res.Broken[i].URL < c.res.Broken[j].URL })
	return c.res
}

type crawlJob struct{ url, from, link string }

type crawler struct {
	t         testing.TB
	srv       *emulator.Server
	queue     []crawlJob
	templates []crawlJob
	seen      map[string]bool
	ids       map[string]string // lower-case collection path -> an ID seen in it
	unfilled  map[string]bool
	res       CrawlResult
}

// enqueue adds a link, or a template to expand later.
func (c *crawler) enqueue(link, from, name string) {
	if !strings.HasPrefix(link, "/api") {
		return // /app, external documentation
	}
	if strings.Contains(link, "{") {
		if !c.seen["T "+link] {
			c.seen["T "+link] = true
			c.templates = append(c.templates, crawlJob{link, from, name})
		}
		return
	}
	key := normalURL(link)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.queue = append(c.queue, crawlJob{link, from, name})
}

// normalURL keys a URL for the seen set: paging links differ only in skip.
func normalURL(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	q.Del("skip")
	u.RawQuery = q.Encode()
	return strings.ToLower(u.String())
}

// expand fills a template and enqueues its forms.
func (c *crawler) expand(j crawlJob) {
	var missing bool
	fill := func(withQuery bool) string {
		return templateExpr.ReplaceAllStringFunc(j.url, func(m string) string {
			g := templateExpr.FindStringSubmatch(m)
			op, names := g[1], strings.Split(g[2], ",")
			switch op {
			case "?", "&":
				if !withQuery {
					return ""
				}
				q := url.Values{}
				for _, n := range names {
					switch strings.ToLower(n) {
					case "skip":
						q.Set(n, "0")
					case "take":
						q.Set(n, "1")
					}
				}
				if len(q) == 0 {
					return ""
				}
				return "?" + q.Encode()
			case "/":
				if !withQuery || !idParam(names[0]) {
					return ""
				}
				id := c.idFor(j.url, m)
				if id == "" {
					return ""
				}
				return "/" + url.PathEscape(id)
			}
			id := c.idFor(j.url, m)
			if id == "" {
				missing = true
			}
			return url.PathEscape(id)
		})
	}
	plain, filled := fill(false), fill(true)
	if missing {
		c.unfilled[j.url] = true
		return
	}
	c.enqueue(plain, j.from, j.link)
	c.enqueue(filled, j.from, j.link)
}

// idFor finds an ID for the parameter expression m of template: one of a
// document whose Self link is in the collection the template names before m.
func (c *crawler) idFor(template, m string) string {
	g := templateExpr.FindStringSubmatch(m)
	if !idParam(g[2]) {
		return ""
	}
	before := strings.TrimRight(template[:strings.Index(template, m)], "/")
	if strings.Contains(before, "{") {
		return ""
	}
	return c.ids[strings.ToLower(before)]
}

// get requests one URL and enqueues the links of its answer.
func (c *crawler) get(j crawlJob) {
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.srv.URL()+j.url, nil)
	if err != nil {
		c.res.Broken = append(c.res.Broken, Broken{URL: j.url, From: j.from, Link: j.link})
		return
	}
	req.Header.Set("X-Octopus-ApiKey", c.srv.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", j.url, err)
	}
	c.res.Requests++
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close() //nolint:errcheck // read path
	if err != nil {
		c.t.Fatalf("GET %s: %v", j.url, err)
	}
	// 405: the link names an action (a task's Cancel, a package upload),
	// which the real server also refuses to GET; the route exists.
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 {
		c.res.Broken = append(c.res.Broken, Broken{URL: j.url, Status: resp.StatusCode, From: j.from, Link: j.link})
		return
	}
	if resp.StatusCode >= 300 || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return
	}
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return
	}
	c.walk(doc, j.url)
}

// walk enqueues every link in v and records the IDs of documents by the
// collection their Self link names.
func (c *crawler) walk(v any, from string) {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			c.walk(x, from)
		}
	case map[string]any:
		if links, ok := t["Links"].(map[string]any); ok {
			names := make([]string, 0, len(links))
			for n := range links {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if l, ok := links[n].(string); ok {
					c.enqueue(l, from, n+" "+l)
				}
			}
			if self, ok := links["Self"].(string); ok {
				if id, _ := t["Id"].(string); id != "" {
					c.recordID(self, id)
				}
			}
		}
		for k, x := range t {
			if k != "Links" {
				c.walk(x, from)
			}
		}
	}
}

// recordID remembers id as one of the collection its Self link is in
// ("/api/Spaces-2/tenants/Tenants-1": the collection /api/Spaces-2/tenants).
func (c *crawler) recordID(self, id string) {
	self, _, _ = strings.Cut(self, "?")
	coll, last, ok := cutLast(self)
	if !ok || !strings.EqualFold(last, url.PathEscape(id)) {
		return
	}
	coll = strings.ToLower(coll)
	if _, ok := c.ids[coll]; !ok {
		c.ids[coll] = id
	}
}

func cutLast(p string) (string, string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// idParam reports whether a template parameter names a document ID ("id",
// "projectId"); others ("version", "name") the crawl cannot fill.
func idParam(name string) bool {
	n := strings.ToLower(name)
	return n == "id" || strings.HasSuffix(n, "id")
}

// Pattern is the route of a broken link's URL with its IDs as "{}" and
// without its query ("/api/Spaces-1/projects/Projects-1/logo" ->
// "/api/{}/projects/{}/logo"), for lists of links known to be broken.
func (b Broken) Pattern() string {
	p, _, _ := strings.Cut(b.URL, "?")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "0123456789") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}
