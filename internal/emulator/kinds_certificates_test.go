package emulator

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCertificate makes a self-signed certificate for cn and returns the
// base64 of its PEM file (certificate and private key) and its DER bytes.
func testCertificate(t *testing.T, cn string) (string, []byte) {
	t.Helper()
	file, err := SelfSignedCertificate(cn, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(file)
	return base64.StdEncoding.EncodeToString(file), b.Bytes
}

func thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestCertificates(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	data, der := testCertificate(t, "web.example")
	created := post(t, s, sp+"/certificates", map[string]any{"Name": "Web", "Notes": "n",
		"CertificateData": map[string]any{"HasValue": true, "NewValue": data}}).(map[string]any)
	id := field(created, "Id")
	got := get(t, s, sp+"/certificates/"+id).(map[string]any)
	for k, want := range map[string]any{
		"Thumbprint": thumbprint(der), "SubjectCommonName": "web.example", "SubjectOrganization": nil,
		"SubjectDistinguishedName": "CN=web.example", "IssuerCommonName": "web.example",
		"CertificateDataFormat": "Pem", "HasPrivateKey": true, "SelfSigned": true, "IsExpired": false,
		"SignatureAlgorithmName": "sha256ECDSA", "NotAfter": "2035-01-01T00:00:00.000+00:00",
		"Notes": "n", "TenantedDeploymentParticipation": "Untenanted", "Archived": nil,
	} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	if serial := str(got, "SerialNumber"); len(serial) < 8 || strings.Trim(serial, "0123456789ABCDEF") != "" {
		t.Errorf("SerialNumber = %q, want upper-case hex", serial)
	}
	if sans, _ := got["SubjectAlternativeNames"].([]any); len(sans) != 1 || sans[0] != "web.example" {
		t.Errorf("SubjectAlternativeNames = %v", got["SubjectAlternativeNames"])
	}
	_, raw := SendRequest(t, s, http.MethodGet, sp+"/certificates", "", nil, s.APIKey())
	if strings.Contains(string(raw), data) || strings.Contains(string(raw), data[10:40]) {
		t.Fatal("the certificate data is served")
	}
	if cd, _ := got["CertificateData"].(map[string]any); cd["HasValue"] != true || cd["NewValue"] != nil {
		t.Errorf("CertificateData served as %v", cd)
	}

	// A PUT changes names and notes; the data and what was read from it stay.
	got["Name"], got["Thumbprint"], got["CertificateData"] = "Web 2", "FORGED", map[string]any{"HasValue": true, "NewValue": "bm90IGEgY2VydA=="}
	upd := conformanceCall(t, s, http.MethodPut, sp+"/certificates/"+id, got, http.StatusOK).(map[string]any)
	if upd["Name"] != "Web 2" || upd["Thumbprint"] != thumbprint(der) {
		t.Errorf("after PUT: Name %v Thumbprint %v", upd["Name"], upd["Thumbprint"])
	}
	// The same PUT again changes nothing.
	again := conformanceCall(t, s, http.MethodPut, sp+"/certificates/"+id, upd, http.StatusOK).(map[string]any)
	for _, k := range certificateDerived {
		if jsonText(t, again[k]) != jsonText(t, upd[k]) {
			t.Errorf("second PUT changed %s: %v -> %v", k, upd[k], again[k])
		}
	}

	// DER data, no private key; bad data is refused naming the field.
	derID := field(post(t, s, sp+"/certificates", map[string]any{"Name": "Der",
		"CertificateData": map[string]any{"HasValue": true, "NewValue": base64.StdEncoding.EncodeToString(der)}}), "Id")
	if d := get(t, s, sp+"/certificates/"+derID).(map[string]any); d["CertificateDataFormat"] != "Der" || d["HasPrivateKey"] != false {
		t.Errorf("DER certificate: %v %v", d["CertificateDataFormat"], d["HasPrivateKey"])
	}
	for _, bad := range []any{nil, map[string]any{"HasValue": true, "NewValue": "not base64!"}, map[string]any{"HasValue": true, "NewValue": "bm90IGEgY2VydA=="}} {
		resp, body := SendRequest(t, s, http.MethodPost, sp+"/certificates", "", map[string]any{"Name": "Bad", "CertificateData": bad}, s.APIKey())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "CertificateData") {
			t.Errorf("bad data %v: %d %s", bad, resp.StatusCode, body)
		}
	}
	if n := len(get(t, s, sp+"/certificates/all").([]any)); n != 2 {
		t.Errorf("%d certificates after refused creates, want 2", n)
	}

	// Archive: left out of lists unless archived=true; unarchive brings it back.
	conformanceCall(t, s, http.MethodPost, sp+"/certificates/"+derID+"/archive", nil, http.StatusOK)
	listed := func(q string) []string {
		var ids []string
		for _, it := range get(t, s, sp+"/certificates"+q).(map[string]any)["Items"].([]any) {
			ids = append(ids, field(it, "Id"))
		}
		return ids
	}
	if l := listed(""); len(l) != 1 || l[0] != id {
		t.Errorf("listed %v, want only %s", l, id)
	}
	if l := listed("?archived=true"); len(l) != 1 || l[0] != derID {
		t.Errorf("archived=true listed %v, want %s", l, derID)
	}
	conformanceCall(t, s, http.MethodPost, sp+"/certificates/"+derID+"/unarchive/v1", nil, http.StatusOK)
	if l := listed("?search=" + thumbprint(der)[:8]); len(l) != 2 {
		t.Errorf("search by thumbprint listed %v, want both (same certificate)", l)
	}

	// Replace: the ID takes the new data; the old is kept archived.
	data2, der2 := testCertificate(t, "web2.example")
	rep := conformanceCall(t, s, http.MethodPost, sp+"/certificates/"+id+"/replace", map[string]any{"CertificateData": data2}, http.StatusOK).(map[string]any)
	if rep["Id"] != id || rep["Thumbprint"] != thumbprint(der2) || rep["Name"] != "Web 2" {
		t.Errorf("replaced: %v %v %v", rep["Id"], rep["Thumbprint"], rep["Name"])
	}
	arch := get(t, s, sp+"/certificates?archived=true").(map[string]any)["Items"].([]any)
	if len(arch) != 1 || field(arch[0], "ReplacedBy") != id || field(arch[0], "Thumbprint") != thumbprint(der) {
		t.Errorf("archived after replace: %v", arch)
	}

	// Usages: a project variable of type Certificate.
	f := &fixture{ids: map[string]string{}}
	vs := get(t, s, sp+"/projects/"+f.project(t, s)+"/variables").(map[string]any)
	vs["Variables"] = []any{map[string]any{"Name": "Cert", "Type": "Certificate", "Value": id}}
	conformanceCall(t, s, http.MethodPut, sp+"/variables/"+field(vs, "Id"), vs, http.StatusOK)
	use := get(t, s, sp+"/certificates/"+id+"/usages").(map[string]any)
	if p, _ := use["ProjectUsages"].([]any); len(p) != 1 || field(p[0], "Id") != f.project(t, s) {
		t.Errorf("ProjectUsages = %v", use["ProjectUsages"])
	}
	if l, _ := use["LibraryVariableSetUsages"].([]any); len(l) != 0 {
		t.Errorf("LibraryVariableSetUsages = %v", l)
	}
	gen := conformanceCall(t, s, http.MethodPost, sp+"/certificates/generate", map[string]any{"Name": "Generated", "SubjectCommonName": "gen.example"}, http.StatusOK).(map[string]any)
	if gen["SubjectCommonName"] != "gen.example" || gen["SelfSigned"] != true || gen["HasPrivateKey"] != true || gen["Name"] != "Generated" {
		t.Errorf("generated %v", gen)
	}
	// Deleting needs the certificate archived and no variable holding it.
	conformanceCall(t, s, http.MethodDelete, sp+"/certificates/"+derID, nil, http.StatusBadRequest)
	conformanceCall(t, s, http.MethodPost, sp+"/certificates/"+derID+"/archive/v1", nil, http.StatusOK)
	conformanceCall(t, s, http.MethodDelete, sp+"/certificates/"+derID, nil, http.StatusOK)
	conformanceCall(t, s, http.MethodGet, sp+"/certificates/"+derID, nil, http.StatusNotFound)
	conformanceCall(t, s, http.MethodPost, sp+"/certificates/"+id+"/archive", nil, http.StatusOK)
	resp, body := SendRequest(t, s, http.MethodDelete, sp+"/certificates/"+id, "", nil, s.APIKey())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "variable") {
		t.Errorf("deleting a certificate a variable holds: %d %s", resp.StatusCode, body)
	}
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCertificateExport(t *testing.T) {
	t.Parallel()
	s := newConformanceServer(t)
	data, der := testCertificate(t, "export.example")
	id := field(post(t, s, sp+"/certificates", map[string]any{"Name": "Export",
		"CertificateData": map[string]any{"HasValue": true, "NewValue": data}}), "Id")
	exported := func(q string, want int) []byte {
		t.Helper()
		resp, body := SendRequest(t, s, http.MethodGet, sp+"/certificates/"+id+"/export"+q, "", nil, s.APIKey())
		if resp.StatusCode != want {
			t.Fatalf("export%s: %d %s", q, resp.StatusCode, body)
		}
		return body
	}
	if b, _ := pem.Decode(exported("", 200)); b == nil || b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, der) {
		t.Errorf("PEM export: %v", b)
	}
	if got := exported("?format=Der", 200); !bytes.Equal(got, der) {
		t.Error("DER export differs from the uploaded certificate")
	}
	withKey := exported("?includePrivateKey=true", 200)
	if b, _ := pem.Decode(withKey); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		t.Errorf("export with the key: %s", withKey)
	}
	exported("?format=Pkcs12", 400)
	exported("?format=Der&includePrivateKey=true", 400)
	exported("?pemOptions=Everything", 400)

	g := get(t, s, "/api/certificates/certificate-global").(map[string]any)
	if g["Id"] != "certificate-global" || len(field(g, "Thumbprint")) != 40 {
		t.Errorf("global certificate %v", g)
	}
	if list := firstOf(t, s, "/api/configuration/certificates"); field(list, "Thumbprint") != field(g, "Thumbprint") {
		t.Errorf("configuration/certificates lists %v", list)
	}
	resp, cer := SendRequest(t, s, http.MethodGet, "/api/configuration/certificates/certificate-global/public-cer", "", nil, s.APIKey())
	if resp.StatusCode != 200 || thumbprint(cer) != field(g, "Thumbprint") {
		t.Errorf("public-cer: %d, thumbprint %s", resp.StatusCode, thumbprint(cer))
	}
}

// The new kinds' secrets are sealed in the state file too, and survive a
// restart: the certificate can still be exported.
func TestNewKindsSecretsInStateFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	data, der := testCertificate(t, "state.example")
	id := field(post(t, s, sp+"/certificates", map[string]any{"Name": "State",
		"CertificateData": map[string]any{"HasValue": true, "NewValue": data}, "Password": map[string]any{"HasValue": true, "NewValue": "cert-pass-123"}}), "Id")
	post(t, s, sp+"/proxies", map[string]any{"Name": "P", "Host": "h", "Password": map[string]any{"HasValue": true, "NewValue": "proxy-pass-123"}})
	post(t, s, sp+"/git-credentials", map[string]any{"Name": "G", "Details": map[string]any{"Type": "UsernamePassword", "Username": "u",
		"Password": map[string]any{"HasValue": true, "NewValue": "git-pass-123"}}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{data[30:70], "cert-pass-123", "proxy-pass-123", "git-pass-123"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the state file holds %q", secret)
		}
	}
	s2 := startServer(t, Options{StatePath: path})
	resp, got := SendRequest(t, s2, http.MethodGet, sp+"/certificates/"+id+"/export?format=Der", "", nil, s2.APIKey())
	if resp.StatusCode != 200 || !bytes.Equal(got, der) {
		t.Errorf("export after restart: %d", resp.StatusCode)
	}
}
