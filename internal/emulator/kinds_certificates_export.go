package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Certificate export (GET certificates/{id}/export) and the server's own
// certificate (certificates/certificate-global, configuration/certificates:
// CertificateConfigurationResource).

func init() {
	addRoute(http.MethodGet, "certificates/{id}/export", RouteSpace, exportCertificate)
	addRoute(http.MethodGet, "certificates/certificate-global", RouteSystem, func(c *Call) (any, error) {
		return c.srv.globalCertificate().doc, nil
	})
	addRoute(http.MethodGet, "configuration/certificates", RouteSystem, func(c *Call) (any, error) {
		return c.srv.page(c, "CertificateConfiguration", "configuration/certificates", "{?skip,take}", []Doc{c.srv.globalCertificate().doc})
	})
	addRoute(http.MethodGet, "configuration/certificates/{id}", RouteSystem, func(c *Call) (any, error) {
		g := c.srv.globalCertificate()
		if !strings.EqualFold(c.Param("id"), str(g.doc, "Id")) {
			return nil, notFound(c.Param("id"))
		}
		return g.doc, nil
	})
	addRoute(http.MethodGet, "configuration/certificates/{id}/public-cer", RouteSystem, func(c *Call) (any, error) {
		g := c.srv.globalCertificate()
		if !strings.EqualFold(c.Param("id"), str(g.doc, "Id")) {
			return nil, notFound(c.Param("id"))
		}
		return &rawResponse{ContentType: "application/pkix-cert", Body: g.der}, nil
	})
}

// exportFormats are the ?format values; the emulator cannot write PKCS#12
// (Go's x/crypto/pkcs12 only reads it).
var exportFormats = []string{"Pem", "Der", "Pkcs12"}

// exportCertificate serves the certificate as a file: ?format Pem (the
// default) or Der; ?pemOptions PrimaryOnly (the default), PrimaryAndChain or
// ChainOnly; ?includePrivateKey=true adds the key to a PEM file and needs
// CertificateExportPrivateKey.
func exportCertificate(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, certificatesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	format := c.QueryValue("format")
	if format == "" {
		format = "Pem"
	}
	if !slices.Contains(exportFormats, format) {
		return nil, badRequest(fmt.Sprintf("format '%s' is not one of %s.", format, strings.Join(exportFormats, ", ")))
	}
	if format == "Pkcs12" {
		return nil, badRequest("format Pkcs12: the emulator cannot write PKCS#12 files; export as Pem or Der.")
	}
	withKey := c.queryBool("includePrivateKey", false)
	if withKey {
		if err := s.require(c, "CertificateExportPrivateKey", rec.space, s.scopeOf(rec.space, certificatesKind, rec.doc)); err != nil {
			return nil, err
		}
	}
	data, _ := rec.secrets["CertificateData"].(string)
	password, _ := rec.secrets["Password"].(string)
	info, err := parseCertificate(data, password)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: stored data unreadable: %w", str(rec.doc, "Id"), err)
	}
	if format == "Der" {
		if withKey {
			return nil, badRequest("includePrivateKey: a DER file holds no private key; export as Pem.")
		}
		return &rawResponse{ContentType: "application/pkix-cert", Body: info.chain[0].Raw}, nil
	}
	certs := info.chain[:1]
	switch opt := c.QueryValue("pemOptions"); opt {
	case "", "PrimaryOnly":
	case "PrimaryAndChain":
		certs = info.chain
	case "ChainOnly":
		certs = info.chain[1:]
	default:
		return nil, badRequest(fmt.Sprintf("pemOptions '%s' is not one of PrimaryOnly, PrimaryAndChain, ChainOnly.", opt))
	}
	var out bytes.Buffer
	if withKey {
		if info.key == nil {
			return nil, badRequest("includePrivateKey: the certificate has no private key.")
		}
		_ = pem.Encode(&out, info.key) // writing to a bytes.Buffer cannot fail
	}
	for _, cert := range certs {
		_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	}
	return &rawResponse{ContentType: "application/x-pem-file", Body: out.Bytes()}, nil
}

// globalCert is the server's own certificate: made once per emulator
// process (its thumbprint changes when the emulator restarts, as a new
// server's would).
type globalCert struct {
	doc Doc
	der []byte
}

func (s *Server) globalCertificate() *globalCert {
	return s.extension("globalCertificate", func() any {
		now := s.now()
		file, err := SelfSignedCertificate("Octopus Portal", now, now.AddDate(100, 0, 0))
		if err != nil {
			panic("emulator: make the server certificate: " + err.Error()) // crypto/rand failing
		}
		b, _ := pem.Decode(file)
		info, err := parseCertificate(base64.StdEncoding.EncodeToString(file), "")
		if err != nil {
			panic("emulator: read the server certificate: " + err.Error())
		}
		x := x509Doc(info.chain[0])
		return &globalCert{der: b.Bytes, doc: Doc{
			"Id": "certificate-global", "Name": "Octopus Portal",
			"Thumbprint": x["Thumbprint"], "SignatureAlgorithm": x["SignatureAlgorithmName"],
			"LastModifiedBy": nil, "LastModifiedOn": now.Format(timeLayout),
			"Links": Doc{"Self": "/api/configuration/certificates/certificate-global",
				"PublicCer": "/api/configuration/certificates/certificate-global/public-cer"},
		}}
	}).(*globalCert)
}
