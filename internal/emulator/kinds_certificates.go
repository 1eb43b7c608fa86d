package emulator

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/pkcs12"
)

// Certificates (swagger CertificateResource; octopus-api.md §3.14). The
// uploaded CertificateData (base64 of a PFX, DER or PEM file) and its
// Password are SensitiveValues: sealed like every secret and never served.
// The server reads the certificate when it is uploaded and serves what it
// found (thumbprint, subject, issuer, validity); so does the emulator, with
// crypto/x509. The data can only change through /replace: a PUT is
// ModifyCertificateCommand, which carries names, notes and scoping only.

var certificatesKind *Kind

// certificateDerived are the properties read from the uploaded data.
var certificateDerived = []string{
	"CertificateDataFormat", "HasPrivateKey", "IsExpired", "Thumbprint", "SerialNumber", "SignatureAlgorithmName", "Version",
	"SubjectDistinguishedName", "SubjectCommonName", "SubjectOrganization", "SubjectAlternativeNames",
	"IssuerDistinguishedName", "IssuerCommonName", "IssuerOrganization", "NotBefore", "NotAfter", "SelfSigned", "CertificateChain",
}

func init() {
	certificatesKind = registerKind(&Kind{
		Name:          "Certificates",
		Segment:       "certificates",
		ItemType:      "Certificate",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,search,archived,tenant,firstResult,orderBy,ids,partialName}",
		Less:          byName,
		Shape: func(d Doc) {
			tenantScopedShape(d)
			delete(d, "Description") // CertificateResource has Notes instead
			ensure(d, "Notes", "")
			ensure(d, "Archived", nil)
			ensure(d, "ReplacedBy", nil)
			ensure(d, "Password", Doc{"HasValue": false, "NewValue": nil})
		},
		Validate: func(c *Call, d, old Doc) error {
			if old == nil {
				if err := readCertificate(c, d); err != nil {
					return err
				}
			}
			return validateTenantScope(c, d)
		},
		BeforeUpdate: func(c *Call, d, old Doc) error {
			for _, f := range append([]string{"Archived", "ReplacedBy"}, certificateDerived...) {
				d[f] = old[f]
			}
			// Unsent secrets are kept (sensitive.go): the data and password
			// stay as uploaded.
			for _, f := range []string{"CertificateData", "Password"} {
				prev, _ := old[f].(map[string]any)
				d[f] = Doc{"HasValue": boolean(prev, "HasValue"), "NewValue": nil}
			}
			return nil
		},
		// "Once a certificate has been archived, it can then be deleted"
		// and "You will be prevented from deleting a certificate if it is
		// the value of one or more variables" (octopus.com/docs/deployments/
		// certificates/archiving-and-deleting-certificates).
		BeforeDelete: func(c *Call, d Doc) error {
			if d["Archived"] == nil {
				return badRequest(fmt.Sprintf("The certificate '%s' must be archived before it can be deleted.", str(d, "Name")))
			}
			if owner := certificateVariableOwner(c, str(d, "Id")); owner != "" {
				return badRequest(fmt.Sprintf("The certificate '%s' is the value of a variable of %s and cannot be deleted.", str(d, "Name"), owner))
			}
			return nil
		},
		Filter: certificateFilter,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Archive":   self + "/archive",
				"Unarchive": self + "/unarchive",
				"Replace":   self + "/replace",
				"Usages":    self + "/usages",
			}
		},
	})
	addRoute(http.MethodGet, "certificates/{id}/usages", RouteSpace, certificateUsages)
	addRoute(http.MethodPost, "certificates/{id}/replace", RouteSpace, replaceCertificate)
	addRoute(http.MethodPost, "certificates/generate", RouteSpace, generateCertificate)
	for _, v1 := range []string{"", "/v1"} {
		for _, action := range []string{"archive", "unarchive"} {
			archived := action == "archive"
			addRoute(http.MethodPost, "certificates/{id}/"+action+v1, RouteSpace, func(c *Call) (any, error) {
				return archiveCertificate(c, archived)
			})
		}
	}
}

// certificateFilter applies ?archived (archived certificates are listed only
// with archived=true, as the portal's "show archived" asks), ?search (name,
// thumbprint or subject, by substring) and ?tenant.
func certificateFilter(c *Call, d Doc) bool {
	if c.queryBool("archived", false) != (d["Archived"] != nil) {
		return false
	}
	if q := strings.ToLower(c.QueryValue("search")); q != "" {
		hit := false
		for _, f := range []string{"Name", "Thumbprint", "SubjectDistinguishedName"} {
			if strings.Contains(strings.ToLower(str(d, f)), q) {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	if t := c.QueryValue("tenant"); t != "" && !containsFold(strs(d, "TenantIds"), t) {
		return false
	}
	return true
}

// readCertificate reads the uploaded CertificateData of d and sets the
// properties derived from it.
func readCertificate(c *Call, d Doc) error {
	cd, _ := d["CertificateData"].(map[string]any)
	data, _ := cd["NewValue"].(string)
	if data == "" {
		return badRequest("Please provide a value for CertificateData.")
	}
	pw, _ := d["Password"].(map[string]any)
	password, _ := pw["NewValue"].(string)
	info, err := parseCertificate(data, password)
	if err != nil {
		return badRequest("CertificateData: " + err.Error())
	}
	for k, v := range info.doc(c.srv.now()) {
		d[k] = v
	}
	return nil
}

// certificateInfo is what an uploaded certificate file holds.
type certificateInfo struct {
	format     string
	chain      []*x509.Certificate // the leaf first
	privateKey bool
	key        *pem.Block // the private key (PEM and PKCS#12 files)
}

// parseCertificate reads base64 certificate data: PEM (certificates and
// optionally a private key), DER (one certificate) or PKCS#12 (with
// password).
func parseCertificate(b64, password string) (*certificateInfo, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("the certificate data must be base64-encoded")
	}
	info := &certificateInfo{}
	var blocks []*pem.Block
	switch {
	case bytes.Contains(raw, []byte("-----BEGIN")):
		info.format = "Pem"
		for rest := raw; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			blocks = append(blocks, b)
		}
	default:
		if cert, err := x509.ParseCertificate(raw); err == nil {
			info.format = "Der"
			info.chain = []*x509.Certificate{cert}
			return info, nil
		}
		info.format = "Pkcs12"
		if blocks, err = pkcs12.ToPEM(raw, password); err != nil {
			return nil, fmt.Errorf("the certificate could not be read (as PEM, DER or PKCS#12 with the given password): %v", err)
		}
	}
	for _, b := range blocks {
		switch {
		case b.Type == "CERTIFICATE":
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the certificate could not be read: %v", err)
			}
			info.chain = append(info.chain, cert)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			info.privateKey, info.key = true, b
		}
	}
	if len(info.chain) == 0 {
		return nil, errors.New("the data holds no certificate")
	}
	return info, nil
}

// doc is the CertificateResource properties of the certificate at now.
func (ci *certificateInfo) doc(now time.Time) Doc {
	leaf := ci.chain[0]
	d := x509Doc(leaf)
	delete(d, "SubjectDistinguishedName")
	delete(d, "IssuerDistinguishedName")
	first := func(s []string) any {
		if len(s) == 0 {
			return nil
		}
		return s[0]
	}
	var sans []any
	for _, n := range leaf.DNSNames {
		sans = append(sans, n)
	}
	for _, ip := range leaf.IPAddresses {
		sans = append(sans, ip.String())
	}
	for _, e := range leaf.EmailAddresses {
		sans = append(sans, e)
	}
	chain := []any{}
	for _, cert := range ci.chain[1:] {
		chain = append(chain, x509Doc(cert))
	}
	leafProps := Doc{
		"CertificateDataFormat":    ci.format,
		"HasPrivateKey":            ci.privateKey,
		"IsExpired":                now.After(leaf.NotAfter),
		"SubjectDistinguishedName": leaf.Subject.String(),
		"SubjectCommonName":        leaf.Subject.CommonName,
		"SubjectOrganization":      first(leaf.Subject.Organization),
		"SubjectAlternativeNames":  append([]any{}, sans...),
		"IssuerDistinguishedName":  leaf.Issuer.String(),
		"IssuerCommonName":         leaf.Issuer.CommonName,
		"IssuerOrganization":       first(leaf.Issuer.Organization),
		"SelfSigned":               bytes.Equal(leaf.RawSubject, leaf.RawIssuer) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil,
		"CertificateChain":         chain,
	}
	for k, v := range leafProps {
		d[k] = v
	}
	return d
}

// x509Doc is the swagger's X509Certificate of cert. The thumbprint is the
// SHA-1 of the DER bytes in upper-case hex, as Windows and .NET write it;
// the signature algorithm is named as .NET's Oid.FriendlyName does
// ("sha256RSA").
func x509Doc(cert *x509.Certificate) Doc {
	sum := sha1.Sum(cert.Raw)
	return Doc{
		"Thumbprint":               strings.ToUpper(hex.EncodeToString(sum[:])),
		"SerialNumber":             strings.ToUpper(hex.EncodeToString(cert.SerialNumber.Bytes())),
		"SignatureAlgorithmName":   dotNetSignatureAlgorithm(cert.SignatureAlgorithm),
		"Version":                  cert.Version,
		"SubjectDistinguishedName": cert.Subject.String(),
		"IssuerDistinguishedName":  cert.Issuer.String(),
		"NotBefore":                cert.NotBefore.UTC().Format(timeLayout),
		"NotAfter":                 cert.NotAfter.UTC().Format(timeLayout),
	}
}

func dotNetSignatureAlgorithm(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA1WithRSA:
		return "sha1RSA"
	case x509.SHA256WithRSA:
		return "sha256RSA"
	case x509.SHA384WithRSA:
		return "sha384RSA"
	case x509.SHA512WithRSA:
		return "sha512RSA"
	case x509.ECDSAWithSHA1:
		return "sha1ECDSA"
	case x509.ECDSAWithSHA256:
		return "sha256ECDSA"
	case x509.ECDSAWithSHA384:
		return "sha384ECDSA"
	case x509.ECDSAWithSHA512:
		return "sha512ECDSA"
	}
	return a.String()
}

// archiveCertificate serves POST certificates/{id}/archive and /unarchive
// and their /v1 forms, answering with an empty object (the v1 forms'
// Archive/UnarchiveCertificateResponse has no properties; the others have
// no schema, and the SDK decodes their body as JSON).
func archiveCertificate(c *Call, archive bool) (any, error) {
	rec, err := c.srv.find(c, certificatesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	switch {
	case archive && rec.doc["Archived"] == nil:
		rec.doc["Archived"] = c.srv.now().Format(timeLayout)
	case !archive && rec.doc["Archived"] != nil:
		if str(rec.doc, "ReplacedBy") != "" {
			return nil, badRequest(fmt.Sprintf("The certificate '%s' was replaced by '%s' and cannot be unarchived.", str(rec.doc, "Name"), str(rec.doc, "ReplacedBy")))
		}
		rec.doc["Archived"] = nil
	default:
		return Doc{}, nil
	}
	c.srv.stamp(c, rec.doc)
	c.Changed()
	verb := map[bool]string{true: "archived", false: "unarchived"}[archive]
	c.srv.addEvent(c, "Modified", fmt.Sprintf("Certificate %s was %s", str(rec.doc, "Name"), verb), c.SpaceID, []any{rec.doc["Id"]})
	return Doc{}, nil
}

// replaceCertificate serves POST certificates/{id}/replace
// (ReplaceCertificateCommand: CertificateData and Password as plain
// strings). The certificate keeps its ID, so that variables holding it get
// the new data, and the SDK's Replace reads it back by that ID; the
// previous data is kept as a new, archived certificate whose ReplacedBy is
// the ID ("When a certificate is replaced, it is automatically archived":
// octopus.com/docs/deployments/certificates/archiving-and-deleting-certificates).
func replaceCertificate(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, certificatesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	data := str(body, "CertificateData")
	if data == "" {
		return nil, badRequest("Please provide a value for CertificateData.")
	}
	info, err := parseCertificate(data, str(body, "Password"))
	if err != nil {
		return nil, badRequest("CertificateData: " + err.Error())
	}
	// The archived copy: the old document with its sealed secrets.
	old := cloneDoc(rec.doc)
	id := str(rec.doc, "Id")
	old["Id"] = s.st.nextID(certificatesKind.prefix())
	old["Archived"] = s.now().Format(timeLayout)
	old["ReplacedBy"] = id
	s.stamp(c, old)
	s.st.put(certificatesKind.Name, &record{space: rec.space, doc: old, secrets: rec.secrets})
	// The name stays with the current certificate; names need not be
	// unique among archived ones.
	d := cloneDoc(rec.doc)
	for k, v := range info.doc(s.now()) {
		d[k] = v
	}
	d["CertificateData"] = Doc{"HasValue": true, "NewValue": data}
	pw := Doc{"HasValue": false, "NewValue": nil}
	if p := str(body, "Password"); p != "" {
		pw = Doc{"HasValue": true, "NewValue": p}
	}
	d["Password"] = pw
	newRec := &record{space: rec.space, doc: d, seq: rec.seq}
	s.stamp(c, d)
	newRec.secrets = sealSecrets(d, nil, nil)
	s.st.put(certificatesKind.Name, newRec)
	c.Changed()
	s.addEvent(c, "Modified", fmt.Sprintf("Certificate %s was replaced", str(d, "Name")), c.SpaceID, []any{id, old["Id"]})
	return s.present(certificatesKind, newRec), nil
}

// certificateUsages serves GET certificates/{id}/usages: the projects,
// library variable sets and tenants whose variables hold the certificate,
// and the deployment targets whose endpoint names it.
func certificateUsages(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, certificatesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	id := str(rec.doc, "Id")
	projects, sets, tenants, targets := []any{}, []any{}, []any{}, []any{}
	owners := map[string]bool{}
	for _, o := range certificateVariableOwners(c, id) {
		owners[strings.ToLower(o)] = true
	}
	for _, k := range []struct {
		kind *Kind
		out  *[]any
	}{{projectsKind, &projects}, {libraryVariableSetsKind, &sets}} {
		for _, r := range s.selected(c, k.kind) {
			if owners[strings.ToLower(str(r.doc, "Id"))] {
				*k.out = append(*k.out, s.present(k.kind, r))
			}
		}
	}
	for _, r := range s.selected(c, tenantsKind) {
		if holdsString(r.doc, id) { // a tenant variable's value
			tenants = append(tenants, s.present(tenantsKind, r))
		}
	}
	for _, r := range s.selected(c, machinesKind) {
		// Kubernetes endpoints name certificates (the SDK's KubernetesEndpoint
		// ClusterCertificate and Authentication.ClientCertificate).
		if holdsString(r.doc["Endpoint"], id) {
			targets = append(targets, s.present(machinesKind, r))
		}
	}
	return Doc{
		"Id":                       id,
		"ProjectUsages":            projects,
		"LibraryVariableSetUsages": sets,
		"TenantUsages":             tenants,
		"DeploymentTargetUsages":   targets,
		"LastModifiedBy":           nil,
		"LastModifiedOn":           nil,
		"Links":                    Doc{"Self": selfLink(certificatesKind, rec.doc) + "/usages"},
	}, nil
}

// holdsString reports whether v holds the string id (case-insensitively)
// anywhere.
func holdsString(v any, id string) bool {
	switch t := v.(type) {
	case string:
		return strings.EqualFold(t, id)
	case map[string]any:
		for _, x := range t {
			if holdsString(x, id) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if holdsString(x, id) {
				return true
			}
		}
	}
	return false
}

// SelfSignedCertificate makes a self-signed certificate (ECDSA P-256) for
// commonName, valid from notBefore to notAfter, and returns its PEM file:
// the certificate and its private key. certificates/generate uses it, and
// tests upload what it makes.
func SelfSignedCertificate(commonName string, notBefore, notAfter time.Time) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		DNSNames:     []string{commonName},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...), nil
}

// generateCertificate serves POST certificates/generate
// (CreateSelfSignedCertificateCommand): a new certificate, self-signed for
// the body's SubjectCommonName (its Name when absent), valid for 100 years
// as the server's own self-signed certificates are; 200 with the
// certificate.
func generateCertificate(c *Call) (any, error) {
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	cn := strings.TrimSpace(str(body, "SubjectCommonName"))
	if cn == "" {
		cn = strings.TrimSpace(str(body, "Name"))
	}
	if cn == "" {
		return nil, badRequest("Please provide a value for Name.")
	}
	now := c.srv.now()
	file, err := SelfSignedCertificate(cn, now, now.AddDate(100, 0, 0))
	if err != nil {
		return nil, err
	}
	d := Doc{}
	for _, f := range []string{"Name", "Notes", "EnvironmentIds", "TenantIds", "TenantTags", "TenantedDeploymentParticipation"} {
		if v, ok := body[f]; ok {
			d[f] = v
		}
	}
	d["CertificateData"] = Doc{"HasValue": true, "NewValue": base64.StdEncoding.EncodeToString(file)}
	return c.srv.create(c, certificatesKind, d)
}

// certificateVariableOwners are the owners (projects, library variable
// sets) of the variable sets of the call's space holding a Certificate
// variable whose value is id.
func certificateVariableOwners(c *Call, id string) []string {
	var out []string
	for _, vs := range c.srv.st.all(variableSetsKind.Name) {
		if !strings.EqualFold(vs.space, c.SpaceID) {
			continue
		}
		vars, _ := vs.doc["Variables"].([]any)
		for _, v := range vars {
			m, _ := v.(map[string]any)
			if str(m, "Type") == "Certificate" && strings.EqualFold(str(m, "Value"), id) {
				out = append(out, str(vs.doc, "OwnerId"))
				break
			}
		}
	}
	return out
}

// certificateVariableOwner is the first owner of a variable holding the
// certificate id, "" when none does.
func certificateVariableOwner(c *Call, id string) string {
	if o := certificateVariableOwners(c, id); len(o) > 0 {
		return o[0]
	}
	return ""
}
