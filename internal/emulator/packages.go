package emulator

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Packages in the built-in feed (PackageFromBuiltInFeedResource). They are
// uploaded with POST /api/{spaceId}/packages/raw as multipart form data
// (the file in the "fileToUpload" field, named <PackageId>.<Version>.<ext>,
// as the Octopus CLI and octo push send it) and listed at /packages. The
// metadata is a document; the file itself is kept in memory and, when the
// server persists its state, in a folder next to the state file.

var packagesKind *Kind

// builtInFeedID is the built-in feed of every space.
const builtInFeedID = "feeds-builtin"

func init() {
	packagesKind = registerKind(&Kind{
		Name:          "Packages",
		NoAll:         true, // the real server has no /all here
		Segment:       "packages",
		IDPrefix:      "packages",
		Scope:         SpaceScoped,
		ItemType:      "Package",
		NoCreate:      true,
		NoUpdate:      true,
		TemplateQuery: "{?nuGetPackageId,filter,latest,skip,take,includeNotes}",
		Filter:        packageFilter,
		Less: func(a, b Doc) bool {
			if x, y := strings.ToLower(str(a, "PackageId")), strings.ToLower(str(b, "PackageId")); x != y {
				return x < y
			}
			return compareVersions(str(a, "Version"), str(b, "Version")) > 0
		},
		// PackageFromBuiltInFeedResource has no SpaceId.
		Present: func(d Doc) { delete(d, "SpaceId") },
		AfterDelete: func(c *Call, d Doc) error {
			return c.srv.dropPackageData(c.SpaceID, str(d, "Id"))
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{"Raw": self + "/raw", "Feed": "/api/" + str(d, "SpaceId") + "/feeds/" + builtInFeedID}
		},
	})
	addRoute(http.MethodPost, "packages/raw", RouteSpace, uploadPackage)
	addRoute(http.MethodGet, "packages/{id}/raw", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, packagesKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		data, err := c.srv.packageData(c.SpaceID, str(rec.doc, "Id"))
		if err != nil {
			return nil, err
		}
		return &rawResponse{ContentType: "application/octet-stream", Body: data}, nil
	})
}

// packageFilter applies ?nuGetPackageId and ?filter (the package ID,
// exactly and by substring) and ?latest (only the highest version of each
// package).
func packageFilter(c *Call, d Doc) bool {
	id := str(d, "PackageId")
	if want := c.QueryValue("nuGetPackageId"); want != "" && !strings.EqualFold(want, id) {
		return false
	}
	if f := c.QueryValue("filter"); f != "" && !strings.Contains(strings.ToLower(id), strings.ToLower(f)) {
		return false
	}
	if c.queryBool("latest", false) {
		if latest := c.srv.findPackage(c.SpaceID, id, ""); latest != nil && !strings.EqualFold(str(latest, "Id"), str(d, "Id")) {
			return false
		}
	}
	return true
}

// packageExtensions are the archive types the built-in feed accepts, longest
// first.
var packageExtensions = []string{".tar.gz", ".tar.bz2", ".tgz", ".tar", ".zip", ".nupkg", ".jar"}

// versionPattern is what follows the package ID in "<PackageId>.<Version>".
var versionPattern = regexp.MustCompile(`^\d+(\.\d+)*([-+][0-9A-Za-z.+-]*)?$`)

// parsePackageFile splits a file name such as "octofleet.1.2.3.tar.gz".
func parsePackageFile(name string) (id, version, ext string, err error) {
	base := filepath.Base(name)
	for _, e := range packageExtensions {
		if strings.HasSuffix(strings.ToLower(base), e) {
			ext = e
			base = base[:len(base)-len(e)]
			break
		}
	}
	if ext == "" {
		return "", "", "", fmt.Errorf("the file %q is not a supported package type (%s)", name, strings.Join(packageExtensions, ", "))
	}
	for i := 0; i < len(base)-1; i++ {
		if base[i] == '.' && base[i+1] >= '0' && base[i+1] <= '9' && versionPattern.MatchString(base[i+1:]) && i > 0 {
			return base[:i], base[i+1:], ext, nil
		}
	}
	return "", "", "", fmt.Errorf("the file name %q must be <PackageId>.<Version>%s", name, ext)
}

// uploadPackage serves POST packages/raw.
func uploadPackage(c *Call) (any, error) {
	fileName, data, err := multipartFile(c)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return storePackage(c, fileName, data)
}

// storePackage stores an uploaded package file (201), under the request's
// overwriteMode (or replace=true).
func storePackage(c *Call, fileName string, data []byte) (any, error) {
	id, version, ext, err := parsePackageFile(fileName)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	docID := "packages-" + id + "." + version
	mode := c.QueryValue("overwriteMode")
	if c.queryBool("replace", false) {
		mode = "OverwriteExisting"
	}
	s := c.srv
	if old := s.st.get(packagesKind.Name, c.SpaceID, docID); old != nil {
		switch strings.ToLower(mode) {
		case "overwriteexisting":
			if _, err := s.remove(c, packagesKind, docID); err != nil {
				return nil, err
			}
		case "ignoreifexists":
			return s.present(packagesKind, old), nil
		default:
			// The real server refuses a second upload of a version unless
			// told to replace it (overwriteMode, or the older replace=true).
			return nil, badRequest(fmt.Sprintf("A package with the same ID and version already exists: %s %s. Use overwriteMode=OverwriteExisting (or replace=true) to replace it.", id, version))
		}
	}
	sum := sha1.Sum(data)
	now := s.now().Format(timeLayout)
	d := Doc{
		"PackageId": id, "Version": version, "FeedId": builtInFeedID, "FileExtension": ext,
		"Title": id, "Summary": "", "Description": "", "ReleaseNotes": "", "Published": now,
		"PackageSizeBytes": len(data), "Hash": hex.EncodeToString(sum[:]),
		"NuGetPackageId": id, "NuGetFeedId": builtInFeedID, "PackageVersionBuildInformation": nil,
	}
	if err := s.storePackageData(c.SpaceID, docID, data); err != nil {
		return nil, err
	}
	out, err := s.createWithID(c, packagesKind, d, docID)
	if err != nil {
		return nil, err
	}
	c.Status = http.StatusCreated
	return out, nil
}

// multipartFile returns the uploaded file: the "fileToUpload" part, or the
// first part with a file name.
func multipartFile(c *Call) (string, []byte, error) {
	mt, params, err := mime.ParseMediaType(c.R.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return "", nil, errors.New("the package must be uploaded as multipart/form-data with the file in the fileToUpload field")
	}
	mr := multipart.NewReader(bytes.NewReader(c.RawBody()), params["boundary"])
	var name string
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("read the upload: %w", err)
		}
		if part.FileName() == "" {
			continue
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return "", nil, fmt.Errorf("read the upload: %w", err)
		}
		if name == "" || part.FormName() == "fileToUpload" {
			name, data = part.FileName(), b
		}
	}
	if name == "" {
		return "", nil, errors.New("the upload has no file: send it in the fileToUpload field")
	}
	return name, data, nil
}

// findPackage returns the package with that ID and version, or the highest
// version when version is empty. Expects the store locked.
func (s *Server) findPackage(space, packageID, version string) Doc {
	var best Doc
	for _, rec := range s.st.all(packagesKind.Name) {
		d := rec.doc
		if !strings.EqualFold(rec.space, space) || !strings.EqualFold(str(d, "PackageId"), packageID) {
			continue
		}
		if version != "" {
			if strings.EqualFold(str(d, "Version"), version) {
				return d
			}
			continue
		}
		if best == nil || compareVersions(str(d, "Version"), str(best, "Version")) > 0 {
			best = d
		}
	}
	return best
}

// compareVersions orders versions numerically by their dotted parts; a
// pre-release (after "-") sorts before the release.
func compareVersions(a, b string) int {
	split := func(v string) ([]string, string) {
		core, pre, _ := strings.Cut(strings.SplitN(v, "+", 2)[0], "-")
		return strings.Split(core, "."), pre
	}
	ap, apre := split(a)
	bp, bpre := split(b)
	for i := 0; i < max(len(ap), len(bp)); i++ {
		var x, y int
		if i < len(ap) {
			x, _ = strconv.Atoi(ap[i])
		}
		if i < len(bp) {
			y, _ = strconv.Atoi(bp[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	case apre < bpre:
		return -1
	}
	return 1
}

func packageKey(space, id string) string { return strings.ToLower(space + "/" + id) }

// packageDir is where package files are persisted next to the state file
// ("" when the server keeps no state).
func (s *Server) packageDir(space string) string {
	if s.opts.StatePath == "" {
		return ""
	}
	return filepath.Join(s.opts.StatePath+".packages", space)
}

func (s *Server) storePackageData(space, id string, data []byte) error {
	r := s.tasks()
	r.mu.Lock()
	r.packages[packageKey(space, id)] = data
	r.mu.Unlock()
	if dir := s.packageDir(space); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store package %s: %w", id, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, id), data); err != nil {
			return fmt.Errorf("store package %s: %w", id, err)
		}
	}
	return nil
}

// packageData returns a package's file.
func (s *Server) packageData(space, id string) ([]byte, error) {
	r := s.tasks()
	r.mu.Lock()
	data, ok := r.packages[packageKey(space, id)]
	r.mu.Unlock()
	if ok {
		return data, nil
	}
	if dir := s.packageDir(space); dir != "" {
		data, err := os.ReadFile(filepath.Join(dir, id))
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read package %s: %w", id, err)
		}
	}
	return nil, notFound(id)
}

func (s *Server) dropPackageData(space, id string) error {
	r := s.tasks()
	r.mu.Lock()
	delete(r.packages, packageKey(space, id))
	r.mu.Unlock()
	if dir := s.packageDir(space); dir != "" {
		if err := os.Remove(filepath.Join(dir, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete package %s: %w", id, err)
		}
	}
	return nil
}

// extractPackage unpacks a .tar.gz, .tgz, .tar, .zip, .nupkg or .jar into
// dest. Entries that would land outside dest are refused.
func extractPackage(data []byte, ext, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	switch strings.ToLower(ext) {
	case ".zip", ".nupkg", ".jar":
		return extractZip(data, dest)
	case ".tar.gz", ".tgz":
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		defer func() { _ = gz.Close() }() // a read path: the tar reader reports any error first
		return extractTar(gz, dest)
	case ".tar":
		return extractTar(bytes.NewReader(data), dest)
	}
	return fmt.Errorf("the emulator cannot extract %s packages", ext)
}

// target returns where an archive entry goes, refusing paths outside dest.
func target(dest, name string) (string, error) {
	p := filepath.Join(dest, filepath.FromSlash(name))
	if p != dest && !strings.HasPrefix(p, dest+string(filepath.Separator)) {
		return "", fmt.Errorf("the entry %q points outside the package folder", name)
	}
	return p, nil
}

func extractTar(r io.Reader, dest string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := target(dest, h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeEntry(p, tr, os.FileMode(h.Mode).Perm()); err != nil {
				return err
			}
		}
	}
}

func extractZip(data []byte, dest string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		p, err := target(dest, f.Name)
		if err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeEntry(p, rc, f.Mode().Perm())
		_ = rc.Close() // a read path: writeEntry has seen any error
		if err != nil {
			return err
		}
	}
	return nil
}

func writeEntry(p string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if perm == 0 {
		perm = 0o644
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// sortedPackages lists a space's packages (for tests and the snapshot template).
func (s *Server) sortedPackages(space string) []Doc {
	out := s.docs(packagesKind.Name, space)
	sort.Slice(out, func(i, j int) bool { return packagesKind.Less(out[i], out[j]) })
	return out
}
