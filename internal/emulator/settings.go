package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Instance settings: the configuration sections (/api/configuration,
// octopus-api.md §3.17), SMTP (§3.16), the audit stream (§3.18), the server
// configuration and the derived /api/authentication document. Each settings
// document is one record of settingsKind, keyed by its ID, so that it is
// persisted with the rest of the state and its secrets are sealed like any
// other SensitiveValue. Subscriptions are an ordinary space-scoped kind
// (settings_subscriptions.go).

// settingsKind stores the settings documents; it has no generic routes.
var settingsKind *Kind

// Document IDs that are not configuration sections.
const (
	smtpSettingsID        = "smtp"
	auditStreamSettingsID = "audit-stream"
	serverSettingsID      = "serverconfiguration"
	retentionDefaultID    = "retention-default"
)

// section describes one configuration section the emulator serves.
type section struct {
	id, name, description string
	// provider sections exist only when the provider is installed
	// (Server.SetAuthProviders); the others always exist.
	provider bool
	// defaults returns a fresh instance's values.
	defaults func(s *Server) Doc
}

func sv() Doc { return Doc{"HasValue": false, "NewValue": nil, "Hint": nil} }

// oidcDefaults are the values every OpenID Connect provider section shares
// (OctopusClients OpenIDConnectConfigurationResource).
func oidcDefaults(issuer string, extra Doc) Doc {
	d := Doc{"IsEnabled": false, "Issuer": issuer, "ClientId": "", "ClientSecret": sv(), "AllowAutoUserCreation": true}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// sections are the configuration sections, with the field names of the
// server contracts (AuthenticationConfigResource) and OctopusClients
// Model/Authentication. Default values follow a freshly installed server
// where known; the rest are plausible and marked as such.
var sections = []section{
	{id: "authentication", name: "Authentication", description: "Authentication settings shared by every provider",
		defaults: func(s *Server) Doc {
			return Doc{
				"AutoLoginEnabled": false, "IsSelfServiceIdentityEditingEnabled": true, "TrustedRedirectUrls": []any{},
				"CookieDomain": nil, "SessionTimeoutInSeconds": 1200, "MaximumSessionDurationInSeconds": 1209600,
				"RememberMeEnabled": true, "UserApiKeysEnabled": true, "ApiKeyDefaultExpiryDays": nil, "ApiKeyMaxExpiryDays": nil,
				// The issuer Octopus advertises for its own OIDC tokens: this
				// server's public URL, so it differs per instance.
				"OidcConfigurationSettings": Doc{"OidcIssuerUrl": s.url},
			}
		}},
	{id: "authentication-usernamepassword", name: "Username/Password", description: "Username and password authentication", provider: true,
		defaults: func(*Server) Doc { return Doc{"IsEnabled": true} }},
	{id: "authentication-guest", name: "Guest Login", description: "Guest login", provider: true,
		defaults: func(*Server) Doc { return Doc{"IsEnabled": false} }},
	{id: "authentication-aad", name: "Azure AD", description: "Microsoft Entra ID (Azure AD) authentication", provider: true,
		defaults: func(*Server) Doc {
			return oidcDefaults("", Doc{"RoleClaimType": "roles", "ScimEnabled": false})
		}},
	{id: "authentication-googleapps", name: "Google Apps", description: "Google Workspace authentication", provider: true,
		defaults: func(*Server) Doc {
			return oidcDefaults("https://accounts.google.com", Doc{"HostedDomain": ""})
		}},
	{id: "authentication-od", name: "Okta", description: "Okta authentication", provider: true,
		defaults: func(*Server) Doc {
			return oidcDefaults("", Doc{"RoleClaimType": "groups", "UsernameClaimType": "preferred_username"})
		}},
	{id: "authentication-octopusid", name: "Octopus ID", description: "Octopus ID authentication", provider: true,
		defaults: func(*Server) Doc {
			return oidcDefaults("https://account.octopus.com", Doc{"AllowDynamicRegistration": false,
				"M2MClientId": "", "M2MResourceServerIdentifier": "", "M2MRegisteredAt": nil})
		}},
	{id: "authentication-generic-oidc", name: "Generic OIDC", description: "Generic OpenID Connect authentication", provider: true,
		defaults: func(*Server) Doc {
			return oidcDefaults("", Doc{"RoleClaimType": "groups", "UsernameClaimType": "preferred_username", "Resource": "",
				"Scopes": []any{"openid", "profile", "email"}})
		}},
	{id: "authentication-ldap", name: "LDAP", description: "LDAP authentication", provider: true,
		defaults: func(*Server) Doc {
			return Doc{"IsEnabled": false, "Server": "", "Port": 389, "SecurityProtocol": "None", "IgnoreSslErrors": false,
				"ConnectUsername": "", "ConnectPassword": sv(), "UserBaseDN": "", "DefaultDomain": "",
				"UserFilter": "(&(objectClass=person)(sAMAccountName=*))", "GroupBaseDN": "",
				"GroupFilter": "(&(objectClass=group)(cn=*))", "NestedGroupFilter": "(&(objectClass=group)(member=*))",
				"NestedGroupSearchDepth": 5, "AllowAutoUserCreation": true, "ReferralFollowingEnabled": true,
				"ReferralHopLimit": 10, "ConstraintTimeLimit": 0,
				"AttributeMapping": Doc{"UniqueAccountNameAttribute": "sAMAccountName", "UserPrincipalNameAttribute": "userPrincipalName",
					"UserMembershipAttribute": "memberOf", "UserEmailAttribute": "mail", "GroupNameAttribute": "cn"}}
		}},
	{id: "authentication-directoryservices", name: "Active Directory", description: "Active Directory (Windows) authentication", provider: true,
		defaults: func(*Server) Doc {
			return Doc{"IsEnabled": false, "ActiveDirectoryContainer": "", "AuthenticationScheme": "Ntlm",
				"AllowFormsAuthenticationForDomainUsers": true, "AreSecurityGroupsEnabled": true, "AllowAutoUserCreation": true}
		}},
	{id: "webportal", name: "Web Portal", description: "Web portal security headers and logging",
		defaults: func(*Server) Doc {
			return Doc{
				"Security": Doc{"CorsWhitelist": "", "ReferrerPolicy": "no-referrer", "ContentSecurityPolicyEnabled": true,
					"HttpStrictTransportSecurityEnabled": false, "HttpStrictTransportSecurityMaxAge": 31556926,
					"XOptions": Doc{"XFrameOptions": "SAMEORIGIN", "XFrameOptionAllowFrom": ""}},
				"Logging": Doc{"TrustedProxies": []any{}},
			}
		}},
	// Event retention: the day count is plausible, not verified.
	{id: "eventretention", name: "Event Retention", description: "How long audit events are kept",
		defaults: func(*Server) Doc { return Doc{"EventRetentionDays": 90} }},
	{id: "retentionpolicies", name: "Retention Policies", description: "When retention policies run",
		defaults: func(*Server) Doc { return Doc{"CronExpression": "0 0 */4 * * *"} }},
}

// singletons are the settings documents outside /api/configuration/{id}.
var singletons = map[string]func(s *Server) Doc{
	smtpSettingsID: func(*Server) Doc {
		return Doc{"SmtpHost": "", "SmtpPort": 25, "SendEmailFrom": "", "EnableSsl": false, "Timeout": 12000,
			"Details": Doc{"CredentialType": "UsernamePassword", "SmtpLogin": "", "SmtpPassword": sv()}}
	},
	auditStreamSettingsID: func(*Server) Doc {
		return Doc{"Active": false, "Description": "", "StreamConfigurationResource": nil}
	},
	serverSettingsID:   func(s *Server) Doc { return Doc{"ServerUri": s.url} },
	retentionDefaultID: func(*Server) Doc { return Doc{"RetentionDays": 30} },
}

func sectionByID(id string) (section, bool) {
	for _, s := range sections {
		if strings.EqualFold(s.id, id) {
			return s, true
		}
	}
	return section{}, false
}

func init() {
	settingsKind = registerKind(&Kind{
		Name:     "InstanceSettings",
		Segment:  "configuration",
		Scope:    SystemScoped,
		ItemType: "ConfigurationSection",
		NoRoutes: true,
	})
	addSeeder(func(c *Call) error {
		// Providers are installed by having a document; the other sections
		// are served from their defaults until written (the server URL in
		// them is not known while seeding).
		for _, sec := range sections {
			if sec.provider {
				c.srv.putSettings(c, sec.id, sec.defaults(c.srv), nil)
			}
		}
		return nil
	})
	addRoute(http.MethodGet, "configuration", RouteSystem, listSections)
	addRoute(http.MethodGet, "configuration/{id}", RouteSystem, getSection)
	addRoute(http.MethodGet, "configuration/{id}/values", RouteSystem, func(c *Call) (any, error) {
		sec, err := c.srv.installedSection(c.Param("id"))
		if err != nil {
			return nil, err
		}
		return c.srv.serveSettings(sec.id, "/api/configuration/"+sec.id+"/values"), nil
	})
	addRoute(http.MethodPut, "configuration/{id}/values", RouteSystem, func(c *Call) (any, error) {
		sec, err := c.srv.installedSection(c.Param("id"))
		if err != nil {
			return nil, err
		}
		d, err := c.Body()
		if err != nil {
			return nil, err
		}
		return c.srv.replaceSettings(c, sec.id, sec.name, d, "/api/configuration/"+sec.id+"/values"), nil
	})
	addRoute(http.MethodGet, "configuration/{id}/metadata", RouteSystem, getMetadata)
	singleton := func(id, path string, prepare func(c *Call, d, old Doc) Doc) {
		addRoute(http.MethodGet, path, RouteSystem, func(c *Call) (any, error) {
			return c.srv.serveSettings(id, "/api/"+path), nil
		})
		addRoute(http.MethodPut, path, RouteSystem, func(c *Call) (any, error) {
			d, err := c.Body()
			if err != nil {
				return nil, err
			}
			if prepare != nil {
				d = prepare(c, d, c.srv.settingsDoc(id))
			}
			return c.srv.replaceSettings(c, id, id, d, "/api/"+path), nil
		})
	}
	singleton(smtpSettingsID, "smtpconfiguration", prepareSMTP)
	singleton(auditStreamSettingsID, "audit-stream", prepareAuditStream)
	singleton(serverSettingsID, "serverconfiguration", func(_ *Call, d, _ Doc) Doc {
		return Doc{"ServerUri": d["ServerUri"]} // the only settable property
	})
	singleton(retentionDefaultID, "configuration/retention-default", func(_ *Call, d, _ Doc) Doc {
		return Doc{"RetentionDays": d["RetentionDays"]}
	})
	addRoute(http.MethodGet, "smtpconfiguration/isconfigured", RouteSystem, func(c *Call) (any, error) {
		d := c.srv.settingsDoc(smtpSettingsID)
		return Doc{"Id": "smtpconfiguration-isconfigured", "IsConfigured": str(d, "SmtpHost") != "",
			"Links": Doc{"Self": "/api/smtpconfiguration/isconfigured"}}, nil
	})
	addRoute(http.MethodGet, "authentication", RouteSystem, getAuthentication)
}

// settingsDoc returns a copy of the stored document id (with its secrets
// masked), or the defaults when it was never written.
func (s *Server) settingsDoc(id string) Doc {
	if rec := s.st.get(settingsKind.Name, "", id); rec != nil {
		d := cloneDoc(rec.doc)
		delete(d, "Id")
		return d
	}
	if sec, ok := sectionByID(id); ok {
		return sec.defaults(s)
	}
	if def, ok := singletons[id]; ok {
		return def(s)
	}
	return Doc{}
}

// serveSettings is the served form of document id.
func (s *Server) serveSettings(id, self string) Doc {
	d := s.settingsDoc(id)
	d["Id"] = id
	d["Links"] = Doc{"Self": self}
	return d
}

// putSettings stores document id; old holds the secrets it replaces.
func (s *Server) putSettings(c *Call, id string, d Doc, old map[string]any) {
	delete(d, "Links")
	delete(d, "Id")
	for _, k := range []string{"LastModifiedOn", "LastModifiedBy"} {
		delete(d, k)
	}
	d["Id"] = id
	rec := &record{doc: d}
	if prev := s.st.get(settingsKind.Name, "", id); prev != nil {
		rec.seq = prev.seq
	}
	rec.secrets = sealSecrets(d, nil, old)
	s.st.put(settingsKind.Name, rec)
	c.Changed()
}

// replaceSettings is a PUT of document id: the body replaces the values;
// SensitiveValues follow the usual keep/replace/clear rules.
func (s *Server) replaceSettings(c *Call, id, name string, d Doc, self string) Doc {
	var old map[string]any
	if prev := s.st.get(settingsKind.Name, "", id); prev != nil {
		old = prev.secrets
	}
	s.putSettings(c, id, d, old)
	s.addEvent(c, "Modified", fmt.Sprintf("%s settings were modified", name), "", []any{id})
	return s.serveSettings(id, self)
}

// installedSection finds a section; a provider that is not installed has none.
func (s *Server) installedSection(id string) (section, error) {
	sec, ok := sectionByID(id)
	if !ok || (sec.provider && s.st.get(settingsKind.Name, "", sec.id) == nil) {
		return section{}, notFound(id)
	}
	return sec, nil
}

func sectionResource(sec section) Doc {
	self := "/api/configuration/" + sec.id
	return Doc{"Id": sec.id, "Name": sec.name, "Description": sec.description,
		"Links": Doc{"Self": self, "Values": self + "/values", "Metadata": self + "/metadata"}}
}

func listSections(c *Call) (any, error) {
	var items []Doc
	for _, sec := range sections {
		if _, err := c.srv.installedSection(sec.id); err == nil {
			items = append(items, sectionResource(sec))
		}
	}
	return c.srv.page(c, "ConfigurationSection", "configuration", "{/id}", items)
}

func getSection(c *Call) (any, error) {
	sec, err := c.srv.installedSection(c.Param("id"))
	if err != nil {
		return nil, err
	}
	return sectionResource(sec), nil
}

// getMetadata describes a section's properties the way the portal's form
// builder reads them (Types[].Properties[] with a DisplayInfo); the real
// server's metadata carries more display hints.
func getMetadata(c *Call) (any, error) {
	sec, err := c.srv.installedSection(c.Param("id"))
	if err != nil {
		return nil, err
	}
	var props []any
	var walk func(prefix string, d Doc)
	walk = func(prefix string, d Doc) {
		for _, k := range slices.Sorted(maps.Keys(d)) {
			v := d[k]
			typ := "string"
			switch t := v.(type) {
			case bool:
				typ = "bool"
			case int:
				typ = "int"
			case []any:
				typ = "string[]"
			case Doc:
				if isSensitiveValue(t) {
					typ = "sensitive"
				} else {
					walk(prefix+k+".", t)
					continue
				}
			}
			props = append(props, Doc{"Name": prefix + k, "Type": typ,
				"DisplayInfo": Doc{"Label": k, "Description": "", "ReadOnly": false, "Required": false}})
		}
	}
	walk("", sec.defaults(c.srv))
	return Doc{"Description": sec.description, "Types": []any{Doc{"Name": sec.name, "Properties": props}}}, nil
}

// prepareSMTP keeps only the properties the instance's form knows. Servers up
// to 2023 hold the credentials flat (SmtpLogin, SmtpPassword at the top);
// current ones in Details with a CredentialType. A server ignores the other
// form's properties, as a real one would ignore unknown JSON.
func prepareSMTP(_ *Call, d, old Doc) Doc {
	out := Doc{}
	for _, k := range []string{"SmtpHost", "SmtpPort", "SendEmailFrom", "EnableSsl", "Timeout"} {
		if v, ok := d[k]; ok {
			out[k] = v
		}
	}
	if _, details := old["Details"]; details {
		if det, ok := d["Details"].(map[string]any); ok {
			out["Details"] = det
		} else {
			out["Details"] = old["Details"]
		}
		return out
	}
	for _, k := range []string{"SmtpLogin", "SmtpPassword"} {
		if v, ok := d[k]; ok {
			out[k] = v
		}
	}
	return out
}

// auditStreamSecret reports whether a stream configuration property holds a
// secret. The server does not publish which are sensitive (octopus-api.md
// §3.18): tokens, secrets and the Sumo Logic endpoint (its URL embeds the
// collector token) are treated as such.
func auditStreamSecret(name string) bool {
	return strings.HasSuffix(name, "Token") || strings.HasSuffix(name, "Secret") || name == "SumoLogicEndpoint"
}

// prepareAuditStream stores the body opaquely, turning plain-string secrets
// into SensitiveValues so that they are never served back.
func prepareAuditStream(_ *Call, d, _ Doc) Doc {
	out := Doc{"Active": d["Active"], "Description": d["Description"], "StreamConfigurationResource": d["StreamConfigurationResource"]}
	if sc, ok := d["StreamConfigurationResource"].(map[string]any); ok {
		for k, v := range sc {
			if s, isStr := v.(string); isStr && auditStreamSecret(k) {
				sc[k] = Doc{"HasValue": s != "", "NewValue": s}
			}
		}
	}
	return out
}

// providerIdentity maps a provider section to the IdentityType and name
// /api/authentication reports.
var providerIdentity = map[string][2]string{
	"authentication-usernamepassword":  {"Username - Password", "UsernamePassword"},
	"authentication-guest":             {"Guest", "Guest"},
	"authentication-directoryservices": {"Domain", "ActiveDirectory"},
	"authentication-ldap":              {"LDAP", "ActiveDirectory"},
	"authentication-aad":               {"Azure AD", "OAuth"},
	"authentication-googleapps":        {"Google Apps", "OAuth"},
	"authentication-od":                {"Okta", "OAuth"},
	"authentication-octopusid":         {"Octopus ID", "OAuth"},
	"authentication-generic-oidc":      {"Generic OIDC", "OAuth"},
}

// getAuthentication derives /api/authentication from the sections: the
// enabled providers and the shared settings. It is read-only.
func getAuthentication(c *Call) (any, error) {
	auth := c.srv.settingsDoc("authentication")
	var providers []any
	password := false
	for _, sec := range sections {
		if !sec.provider {
			continue
		}
		if _, err := c.srv.installedSection(sec.id); err != nil {
			continue
		}
		if !boolean(c.srv.settingsDoc(sec.id), "IsEnabled") {
			continue
		}
		id := providerIdentity[sec.id]
		forms := id[1] == "UsernamePassword" || id[1] == "ActiveDirectory" || id[1] == "Guest"
		password = password || sec.id == "authentication-usernamepassword"
		providers = append(providers, Doc{"Name": id[0], "IdentityType": id[1], "FormsLoginEnabled": forms,
			"CSSLinks": []any{}, "JavascriptLinks": []any{}, "Links": Doc{}})
	}
	if providers == nil {
		providers = []any{}
	}
	return Doc{"Id": "authentication", "AnyAuthenticationProvidersSupportPasswordManagement": password,
		"AutoLoginEnabled": auth["AutoLoginEnabled"], "RememberMeEnabled": auth["RememberMeEnabled"],
		"UserApiKeysEnabled": auth["UserApiKeysEnabled"], "ApiKeyDefaultExpiryDays": auth["ApiKeyDefaultExpiryDays"],
		"ApiKeyMaxExpiryDays": auth["ApiKeyMaxExpiryDays"], "AuthenticationProviders": providers,
		"Links": Doc{"Self": "/api/authentication"}}, nil
}

// SetAuthProviders chooses the authentication providers the instance has, by
// section ID ("authentication-aad", "authentication-ldap", ...); the others
// disappear from /api/configuration, as on a server without that extension.
// A provider that is added gets its default (disabled) values; one that stays
// keeps its values. Unknown IDs are an error.
func (s *Server) SetAuthProviders(ids ...string) error {
	want := map[string]bool{}
	for _, id := range ids {
		sec, ok := sectionByID(id)
		if !ok || !sec.provider {
			return fmt.Errorf("set auth providers: unknown provider section %q", id)
		}
		want[sec.id] = true
	}
	return s.mutate(func(c *Call) error {
		for _, sec := range sections {
			if !sec.provider {
				continue
			}
			have := s.st.get(settingsKind.Name, "", sec.id) != nil
			switch {
			case want[sec.id] && !have:
				s.putSettings(c, sec.id, sec.defaults(s), nil)
			case !want[sec.id] && have:
				s.st.delete(settingsKind.Name, "", sec.id)
				c.Changed()
			}
		}
		return nil
	})
}

// UseLegacySMTPForm makes the instance serve and accept SMTP settings in the
// flat form of servers up to 2023 (SmtpLogin and SmtpPassword at the top
// level, no Details). The current values are kept.
func (s *Server) UseLegacySMTPForm() error {
	return s.mutate(func(c *Call) error {
		d := s.settingsDoc(smtpSettingsID)
		var old map[string]any
		if prev := s.st.get(settingsKind.Name, "", smtpSettingsID); prev != nil {
			old = map[string]any{}
			for k, v := range prev.secrets {
				old[strings.TrimPrefix(k, "Details/")] = v
			}
		}
		if det, ok := d["Details"].(map[string]any); ok {
			d["SmtpLogin"] = det["SmtpLogin"]
			d["SmtpPassword"] = det["SmtpPassword"]
			delete(d, "Details")
		}
		s.putSettings(c, smtpSettingsID, d, old)
		return nil
	})
}
