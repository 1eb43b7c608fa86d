package octopus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"

	"github.com/octofleet/octofleet/steps"
)

// wirePackage is the PackageFromBuiltInFeedResource properties octofleet reads.
type wireFeedPackage struct {
	ID        string `json:"Id"`
	PackageID string `json:"PackageId"`
	Version   string `json:"Version"`
	Hash      string `json:"Hash"`
}

func (w wireFeedPackage) info() steps.PackageInfo {
	return steps.PackageInfo{ID: w.ID, PackageID: w.PackageID, Version: w.Version, Hash: w.Hash}
}

// BuiltInPackage implements steps.PackageOctopus with one filtered list.
func (c *Client) BuiltInPackage(ctx context.Context, spaceID, packageID, version string) (steps.PackageInfo, error) {
	all, err := ListAll[wireFeedPackage](ctx, c, spacePath(spaceID, "packages")+"?nuGetPackageId="+url.QueryEscape(packageID))
	if err != nil {
		return steps.PackageInfo{}, fmt.Errorf("list package %s: %w", packageID, err)
	}
	for _, p := range all {
		if strings.EqualFold(p.PackageID, packageID) && p.Version == version {
			return p.info(), nil
		}
	}
	return steps.PackageInfo{}, fmt.Errorf("package %s %s in the built-in feed: %w", packageID, version, steps.ErrNotFound)
}

// UploadPackage implements steps.PackageOctopus: a multipart POST of
// /api/{spaceId}/packages/raw with the file in "fileToUpload", as the Octopus
// CLI sends it. The SDK's package upload reads from a file path and takes no
// space Id, so the request is built here and sent through the SDK's session
// (same transport, headers and error shape). Never retried: after an
// ambiguous failure the feed is read first.
func (c *Client) UploadPackage(ctx context.Context, spaceID, fileName string, data []byte, replace bool) (steps.PackageInfo, error) {
	id, version, ok := splitPackageFile(fileName)
	if !ok {
		return steps.PackageInfo{}, fmt.Errorf("upload package %s: the name is not <PackageId>.<Version>.<ext>", fileName)
	}
	return createOnce(ctx, c, "package "+fileName, func() (steps.PackageInfo, error) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, err := mw.CreateFormFile("fileToUpload", fileName)
		if err != nil {
			return steps.PackageInfo{}, err
		}
		if _, err := part.Write(data); err != nil {
			return steps.PackageInfo{}, err
		}
		if err := mw.Close(); err != nil {
			return steps.PackageInfo{}, err
		}
		path := spacePath(spaceID, "packages", "raw")
		if replace {
			path += "?overwriteMode=OverwriteExisting"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body.Bytes()))
		if err != nil {
			return steps.PackageInfo{}, err
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := c.sdk.HttpSession().DoRawRequest(req)
		if err != nil {
			return steps.PackageInfo{}, fmt.Errorf("POST %s: %w", path, normalize(err))
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return steps.PackageInfo{}, fmt.Errorf("POST %s: %w", path, err)
		}
		if resp.StatusCode >= 300 {
			ae := &core.APIError{StatusCode: resp.StatusCode}
			if json.Unmarshal(raw, ae) != nil || ae.ErrorMessage == "" {
				ae.ErrorMessage = http.StatusText(resp.StatusCode)
			}
			ae.StatusCode = resp.StatusCode
			return steps.PackageInfo{}, fmt.Errorf("POST %s: %w", path, normalize(ae))
		}
		var got wireFeedPackage
		if err := json.Unmarshal(raw, &got); err != nil {
			return steps.PackageInfo{}, fmt.Errorf("POST %s: decode answer: %w", path, err)
		}
		return got.info(), nil
	}, func() (steps.PackageInfo, error) {
		return c.BuiltInPackage(ctx, spaceID, id, version)
	})
}

// splitPackageFile splits "<PackageId>.<Version>.<ext>": the version starts
// at the first dot followed by a digit (Octopus's own rule for built-in feed
// file names).
func splitPackageFile(name string) (id, version string, ok bool) {
	for _, ext := range []string{".tar.gz", ".tgz", ".zip", ".nupkg", ".tar"} {
		if base, found := strings.CutSuffix(name, ext); found {
			for i := 0; i+1 < len(base); i++ {
				if base[i] == '.' && base[i+1] >= '0' && base[i+1] <= '9' {
					return base[:i], base[i+1:], i > 0
				}
			}
		}
	}
	return "", "", false
}
