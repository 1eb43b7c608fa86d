package octopus_test

// Certificates, proxies, git credentials, deployment freezes, space
// retention policies and build information through the real client:
// create -> get -> list -> modify -> delete, field by field, secrets never
// served.

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/buildinformation"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/certificates"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/credentials"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deploymentfreezes"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/packages"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projects"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/proxies"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/retention"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// certificateFile is a new self-signed certificate's PEM file as base64,
// and its thumbprint.
func certificateFile(t *testing.T, cn string) (string, string) {
	t.Helper()
	file, err := emulator.SelfSignedCertificate(cn, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(file)
	sum := sha1.Sum(b.Bytes)
	return base64.StdEncoding.EncodeToString(file), strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestSDKCertificates(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	env, err := c.Environments.Add(environments.NewEnvironment("Cert Env"))
	if err != nil {
		t.Fatal(err)
	}
	data, thumb := certificateFile(t, "api.example")
	cert := certificates.NewCertificateResource("Api TLS", core.NewSensitiveValue(data), nil)
	cert.SpaceID = space
	cert.Notes = "for the api"
	cert.EnvironmentIDs = []string{env.GetID()}
	added, err := certificates.Add(c, cert)
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	got, err := certificates.GetByID(c, space, added.GetID())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Name != "Api TLS" || got.Thumbprint != thumb || got.SubjectCommonName != "api.example" || !got.HasPrivateKey ||
		!got.SelfSigned || got.IsExpired || got.CertificateDataFormat != "Pem" || got.Notes != "for the api" ||
		len(got.EnvironmentIDs) != 1 || got.EnvironmentIDs[0] != env.GetID() || got.TenantedDeploymentMode != "Untenanted" || got.Archived != "" {
		t.Errorf("served %+v", got)
	}
	if got.CertificateData == nil || !got.CertificateData.HasValue || got.CertificateData.NewValue != nil {
		t.Errorf("CertificateData served as %+v", got.CertificateData)
	}
	var raw string
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/certificates/"+got.GetID(), nil, &raw)
	if strings.Contains(raw, data[20:60]) {
		t.Fatalf("the certificate data is served: %s", raw)
	}
	list, err := certificates.Get(c, space, certificates.CertificatesQuery{PartialName: "api"})
	if err != nil || len(list.Items) != 1 || list.Items[0].Thumbprint != thumb {
		t.Fatalf("list: %v %+v", err, list)
	}
	got.Name = "Api TLS (2026)"
	if _, err := certificates.Update(c, got); err != nil {
		t.Fatalf("update: %v", err)
	}
	// Legacy service: archive, unarchive and replace follow the document's links.
	legacy, err := c.Certificates.GetByID(got.GetID())
	if err != nil || legacy.Name != "Api TLS (2026)" || legacy.Thumbprint != thumb {
		t.Fatalf("legacy get: %v %+v", err, legacy)
	}
	archived, err := c.Certificates.Archive(legacy)
	if err != nil || archived.Archived == "" {
		t.Fatalf("archive: %v %+v", err, archived)
	}
	if all, _ := certificates.GetAll(c, space); len(all) != 0 {
		t.Errorf("an archived certificate is listed: %d", len(all))
	}
	if restored, err := c.Certificates.Unarchive(archived); err != nil || restored.Archived != "" {
		t.Fatalf("unarchive: %v %+v", err, restored)
	}
	data2, thumb2 := certificateFile(t, "api2.example")
	replaced, err := c.Certificates.Replace(got.GetID(), certificates.NewReplacementCertificate(data2, ""))
	if err != nil || replaced.GetID() != got.GetID() || replaced.Thumbprint != thumb2 {
		t.Fatalf("replace: %v %+v", err, replaced)
	}
	old, err := certificates.Get(c, space, certificates.CertificatesQuery{Archived: "true"})
	if err != nil || len(old.Items) != 1 || old.Items[0].ReplacedBy != got.GetID() || old.Items[0].Thumbprint != thumb {
		t.Fatalf("the replaced certificate: %v %+v", err, old)
	}
	if err := certificates.DeleteByID(c, space, got.GetID()); err == nil {
		t.Fatal("a certificate in use (not archived) was deleted")
	}
	if _, err := c.Certificates.Archive(replaced); err != nil {
		t.Fatalf("archive: %v", err)
	}
	if err := certificates.DeleteByID(c, space, got.GetID()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := certificates.GetByID(c, space, got.GetID()); err == nil {
		t.Error("deleted certificate still served")
	}
	if _, err := certificates.Add(c, &certificates.CertificateResource{Name: "Junk", SpaceID: space, CertificateData: core.NewSensitiveValue("bm9wZQ==")}); err == nil {
		t.Error("data that is no certificate was accepted")
	}
}

func TestSDKProxiesAndGitCredentials(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	p := proxies.NewProxy("Corp", "proxy.corp", "svc", core.NewSensitiveValue("pr0xy"))
	p.SpaceID = space
	added, err := proxies.Add(c, p)
	if err != nil {
		t.Fatalf("add proxy: %v", err)
	}
	got, err := proxies.GetByID(c, space, added.GetID())
	if err != nil || got.Host != "proxy.corp" || got.Port != 80 || got.ProxyType != "HTTP" || got.Username != "svc" ||
		got.Password == nil || !got.Password.HasValue || got.Password.NewValue != nil {
		t.Fatalf("get proxy: %v %+v", err, got)
	}
	got.Port = 3128
	if _, err := proxies.Update(c, got); err != nil {
		t.Fatalf("update proxy: %v", err)
	}
	if all, err := proxies.GetAll(c, space); err != nil || len(all) != 1 || all[0].Port != 3128 || !all[0].Password.HasValue {
		t.Fatalf("all proxies: %v %+v", err, all)
	}
	if legacy, err := c.Proxies.GetById(got.GetID()); err != nil || legacy.Name != "Corp" {
		t.Fatalf("legacy proxy: %v %+v", err, legacy)
	}
	if err := proxies.DeleteByID(c, space, got.GetID()); err != nil {
		t.Fatalf("delete proxy: %v", err)
	}

	cred := credentials.NewResource("GitHub bot", credentials.NewUsernamePassword("bot", core.NewSensitiveValue("ghp_s3cret")))
	cred.SpaceID = space
	gc, err := credentials.Add(c, cred)
	if err != nil {
		t.Fatalf("add git credential: %v", err)
	}
	g, err := credentials.GetByID(c, space, gc.GetID())
	if err != nil {
		t.Fatalf("get git credential: %v", err)
	}
	up, ok := g.Details.(*credentials.UsernamePassword)
	if !ok || up.Username != "bot" || up.Password == nil || !up.Password.HasValue || g.Name != "GitHub bot" {
		t.Fatalf("served %+v (details %+v)", g, g.Details)
	}
	g.Description = "the bot"
	if _, err := credentials.Update(c, g); err != nil {
		t.Fatalf("update git credential: %v", err)
	}
	byName, err := c.GitCredentials.GetByName("GitHub bot")
	if err != nil || byName.Description != "the bot" {
		t.Fatalf("by name: %v %+v", err, byName)
	}
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/git-credentials/"+g.GetID(), nil, new(string))
	var raw string
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/git-credentials", nil, &raw)
	if strings.Contains(raw, "ghp_s3cret") {
		t.Fatalf("the password is served: %s", raw)
	}
	if err := credentials.DeleteByID(c, space, g.GetID()); err != nil {
		t.Fatalf("delete git credential: %v", err)
	}
	if list, err := credentials.Get(c, space, credentials.Query{}); err != nil || len(list.Items) != 0 {
		t.Fatalf("after delete: %v %+v", err, list)
	}
}

func TestSDKDeploymentFreezes(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	env, err := c.Environments.Add(environments.NewEnvironment("Prod"))
	if err != nil {
		t.Fatal(err)
	}
	lcs, err := lifecycles.GetAll(c, c.GetSpaceID())
	if err != nil || len(lcs) == 0 {
		t.Fatalf("lifecycles: %v", err)
	}
	pgs, err := projectgroups.GetAll(c, c.GetSpaceID())
	if err != nil || len(pgs) == 0 {
		t.Fatalf("project groups: %v", err)
	}
	project, err := projects.Add(c, projects.NewProject("Frozen", lcs[0].ID, pgs[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	proj := project.GetID()
	start, end := time.Date(2031, 12, 24, 0, 0, 0, 0, time.UTC), time.Date(2031, 12, 27, 0, 0, 0, 0, time.UTC)
	f, err := deploymentfreezes.Add(c, &deploymentfreezes.DeploymentFreeze{Name: "Christmas", Start: &start, End: &end,
		ProjectEnvironmentScope: map[string][]string{proj: {env.GetID()}}})
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	got, err := deploymentfreezes.GetById(c, f.GetID())
	if err != nil || got.Name != "Christmas" || !got.Start.Equal(start) || !got.End.Equal(end) || len(got.ProjectEnvironmentScope[proj]) != 1 {
		t.Fatalf("get: %v %+v", err, got)
	}
	list, err := deploymentfreezes.Get(c, deploymentfreezes.DeploymentFreezeQuery{ProjectIds: []string{proj}, Take: 10})
	if err != nil || list.Count != 1 || len(list.DeploymentFreezes) != 1 || list.DeploymentFreezes[0].ID != f.GetID() {
		t.Fatalf("list: %v %+v", err, list)
	}
	if none, err := deploymentfreezes.Get(c, deploymentfreezes.DeploymentFreezeQuery{Status: "Active", Take: 10}); err != nil || none.Count != 0 {
		t.Fatalf("status=Active: %v %+v", err, none)
	}
	later := end.Add(24 * time.Hour)
	got.End = &later
	if _, err := deploymentfreezes.Update(c, got); err != nil {
		t.Fatalf("update: %v", err)
	}
	all, err := deploymentfreezes.GetAll(c)
	if err != nil || all.Count != 1 || !all.DeploymentFreezes[0].End.Equal(later) {
		t.Fatalf("all: %v %+v", err, all)
	}
	if err := deploymentfreezes.Delete(c, got); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if all, _ := deploymentfreezes.GetAll(c); all.Count != 0 {
		t.Errorf("after delete: %+v", all)
	}
}

func TestSDKRetentionPoliciesAndBuildInformation(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	rp, err := retention.Get(c, retention.SpaceDefaultRetentionPolicyQuery{SpaceID: space, RetentionType: retention.LifecycleReleaseRetentionType})
	if err != nil || rp.RetentionType != retention.LifecycleReleaseRetentionType || rp.SpaceId != space || rp.Strategy != retention.RetentionStrategyCount {
		t.Fatalf("get retention: %v %+v", err, rp)
	}
	upd, err := retention.Update(c, retention.NewCountBasedLifecycleReleaseRetentionPolicy(3, retention.RetentionUnitItems, space, rp.GetID()))
	if err != nil || upd.QuantityToKeep != 3 || upd.Unit != "Items" {
		t.Fatalf("update retention: %v %+v", err, upd)
	}
	if again, _ := retention.Get(c, retention.SpaceDefaultRetentionPolicyQuery{SpaceID: space, RetentionType: retention.LifecycleReleaseRetentionType}); again.QuantityToKeep != 3 {
		t.Errorf("after update: %+v", again)
	}
	if _, err := retention.Update(c, retention.NewKeepForeverLifecycleTentacleRetentionPolicy(space, rp.GetID())); err == nil {
		t.Error("changing a policy's RetentionType was accepted")
	}

	info := buildinformation.OctopusBuildInformation{Branch: "main", BuildNumber: "7", VcsType: "Git", VcsRoot: "https://git.example/web",
		VcsCommitNumber: "abc", Commits: []*buildinformation.Commit{{Id: "abc", Comment: "Fix"}}}
	bi, err := buildinformation.Add(c, buildinformation.NewCreateBuildInformationCommand(space, "web", "1.2.3", info))
	if err != nil || bi.PackageID != "web" || bi.Version != "1.2.3" || bi.BuildNumber != "7" || len(bi.Commits) != 1 || bi.Commits[0].LinkURL != "https://git.example/web/commit/abc" {
		t.Fatalf("add build information: %v %+v", err, bi)
	}
	got, err := buildinformation.GetById(c, space, bi.GetID())
	if err != nil || got.VcsCommitURL != "https://git.example/web/commit/abc" || got.Created.IsZero() {
		t.Fatalf("get build information: %v %+v", err, got)
	}
	if _, err := buildinformation.Add(c, buildinformation.NewCreateBuildInformationCommand(space, "web", "1.2.3", info)); err == nil {
		t.Error("a second push of the same version was accepted (FailIfExists)")
	}
	list, err := buildinformation.Get(c, space, buildinformation.BuildInformationQuery{PackageID: "web"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	if err := buildinformation.DeleteByIDs(c, space, []string{bi.GetID()}); err != nil {
		t.Fatalf("bulk delete: %v", err)
	}
	if list, _ := buildinformation.Get(c, space, buildinformation.BuildInformationQuery{}); len(list.Items) != 0 {
		t.Errorf("after delete: %+v", list.Items)
	}
}

// A delta upload (the CLI's --use-delta-compression): the second version
// goes up as an octodiff delta from the first, and the server makes the
// same file from it.
func TestSDKPackageDeltaUpload(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	v1 := make([]byte, 256<<10)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(v1)
	v2 := append(append([]byte{}, v1[:100<<10]...), []byte("a small change")...)
	v2 = append(v2, v1[100<<10:]...)
	first, err := packages.UploadV2(c, space, "app.1.0.0.zip", bytes.NewReader(v1), packages.OverwriteModeFailIfExists, true)
	if err != nil {
		t.Fatalf("first upload: %v", err)
	}
	if info := first.UploadInfo; info == nil || info.DeltaBehaviour != packages.DeltaBehaviourNoPreviousFile {
		t.Fatalf("first upload: %+v", first.UploadInfo)
	}
	second, err := packages.UploadV2(c, space, "app.1.0.1.zip", bytes.NewReader(v2), packages.OverwriteModeFailIfExists, true)
	if err != nil {
		t.Fatalf("delta upload: %v", err)
	}
	info := second.UploadInfo
	if info == nil || info.DeltaBehaviour != packages.DeltaBehaviourUploadedDeltaFile || info.DeltaSize >= int64(len(v2))/10 || !second.CreatedNewFile {
		t.Fatalf("delta upload: %+v", second.UploadInfo)
	}
	var raw string
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/packages/packages-app.1.0.1/raw", nil, &raw)
	if raw != string(v2) {
		t.Fatalf("the stored 1.0.1 (%d bytes) is not the uploaded file (%d bytes)", len(raw), len(v2))
	}
}
