package emulator

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/OctopusDeploy/go-octodiff/pkg/octodiff"
)

// Delta package uploads, as the SDK's packages.UploadV2 with
// useDeltaCompression does them: GET packages/{packageId}/{version}/delta-signature
// answers the octodiff signature of the newest stored version below
// {version} (PackageSignatureResource {BaseVersion, Signature}; 404 when
// there is none, and the client uploads the whole file), and POST
// packages/{packageId}/{baseVersion}/delta takes the octodiff delta from
// that base (multipart, in the file's name the new version) and stores the
// package it makes.

func init() {
	addRoute(http.MethodGet, "packages/{packageId}/{version}/delta-signature", RouteSpace, func(c *Call) (any, error) {
		base := previousPackage(c, c.Param("packageId"), c.Param("version"))
		if base == nil {
			return nil, notFound(c.Param("packageId") + " before " + c.Param("version"))
		}
		data, err := c.srv.packageData(c.SpaceID, str(base, "Id"))
		if err != nil {
			return nil, err
		}
		var sig bytes.Buffer
		if err := octodiff.NewSignatureBuilder().Build(bytes.NewReader(data), int64(len(data)), &sig); err != nil {
			return nil, fmt.Errorf("signature of %s: %w", str(base, "Id"), err)
		}
		return Doc{"BaseVersion": base["Version"], "Signature": base64.StdEncoding.EncodeToString(sig.Bytes())}, nil
	})
	addRoute(http.MethodPost, "packages/{packageId}/{baseVersion}/delta", RouteSpace, func(c *Call) (any, error) {
		s := c.srv
		base := s.findPackage(c.SpaceID, c.Param("packageId"), c.Param("baseVersion"))
		if base == nil {
			return nil, notFound(c.Param("packageId") + " " + c.Param("baseVersion"))
		}
		fileName, delta, err := multipartFile(c)
		if err != nil {
			return nil, badRequest(err.Error())
		}
		if id, _, _, err := parsePackageFile(fileName); err != nil || !strings.EqualFold(id, str(base, "PackageId")) {
			return nil, badRequest(fmt.Sprintf("The delta's file name '%s' must be %s.<Version><extension>.", fileName, str(base, "PackageId")))
		}
		basis, err := s.packageData(c.SpaceID, str(base, "Id"))
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		if err := octodiff.ApplyDelta(bytes.NewReader(basis), octodiff.NewBinaryDeltaReader(bytes.NewReader(delta)), &out); err != nil {
			return nil, badRequest("The delta could not be applied to " + str(base, "Id") + ": " + err.Error())
		}
		if err := octodiff.VerifyNewFile(bytes.NewReader(out.Bytes()), octodiff.NewBinaryDeltaReader(bytes.NewReader(delta))); err != nil {
			return nil, badRequest("The package the delta makes does not match its hash: " + err.Error())
		}
		return storePackage(c, fileName, out.Bytes())
	})
}

// previousPackage is the newest stored version of packageID below version.
func previousPackage(c *Call, packageID, version string) Doc {
	var best Doc
	for _, rec := range c.srv.st.all(packagesKind.Name) {
		d := rec.doc
		if !strings.EqualFold(rec.space, c.SpaceID) || !strings.EqualFold(str(d, "PackageId"), packageID) || compareVersions(str(d, "Version"), version) >= 0 {
			continue
		}
		if best == nil || compareVersions(str(d, "Version"), str(best, "Version")) > 0 {
			best = d
		}
	}
	return best
}
