package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Accounts (octopus-api.md; swagger AccountResource): one collection for
// every account type, told apart by AccountType. The type-specific
// properties (Username, Password, ClientId, AccessKey, SecretKey, Token,
// PrivateKeyFile...) are stored as sent; secrets arrive as SensitiveValue
// objects and are served masked ({"HasValue": true, "NewValue": null}) like
// every SensitiveValue (sensitive.go).

var accountsKind *Kind

// accountTypes are the AccountType values of the 2026.1 swagger.
var accountTypes = []string{
	"AmazonWebServicesAccount", "AmazonWebServicesOidcAccount", "AzureOidc", "AzureServicePrincipal",
	"AzureSubscription", "GenericOidcAccount", "GoogleCloudAccount", "None", "SshKeyPair", "Token", "UsernamePassword",
}

// tenantedParticipation are the TenantedDeploymentParticipation values.
var tenantedParticipation = []string{"Untenanted", "TenantedOrUntenanted", "Tenanted"}

func init() {
	accountsKind = registerKind(&Kind{
		Name:          "Accounts",
		Segment:       "accounts",
		ItemType:      "Account",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName,accountType}",
		Less:          byName,
		Shape:         tenantScopedShape,
		Validate: func(c *Call, d, old Doc) error {
			if !slices.Contains(accountTypes, str(d, "AccountType")) {
				return badRequest(fmt.Sprintf("AccountType '%s' is not one of %s.", str(d, "AccountType"), strings.Join(accountTypes, ", ")))
			}
			if old != nil && str(d, "AccountType") != str(old, "AccountType") {
				return badRequest("The AccountType of an account cannot be changed.")
			}
			return validateTenantScope(c, d)
		},
		Filter: func(c *Call, d Doc) bool {
			types := c.Query("accountType")
			return len(types) == 0 || slices.ContainsFunc(types, func(t string) bool { return strings.EqualFold(t, str(d, "AccountType")) })
		},
	})
	addRoute(http.MethodGet, "accounts/azureenvironments", RouteSystem, func(c *Call) (any, error) {
		// The Azure clouds the real server offers, with the properties of
		// OctopusDeploy/message-contracts.ts azureEnvironment.ts and the
		// clouds' public endpoints.
		out := []Doc{}
		for _, e := range [][7]string{
			{"AzureCloud", "Azure Global Cloud (default)", "https://login.microsoftonline.com/", "https://management.azure.com/", "https://graph.windows.net/", "https://management.core.windows.net/", "core.windows.net"},
			{"AzureChinaCloud", "Azure China Cloud", "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn/", "https://graph.chinacloudapi.cn/", "https://management.core.chinacloudapi.cn/", "core.chinacloudapi.cn"},
			{"AzureGermanCloud", "Azure German Cloud", "https://login.microsoftonline.de/", "https://management.microsoftazure.de/", "https://graph.cloudapi.de/", "https://management.core.cloudapi.de/", "core.cloudapi.de"},
			{"AzureUSGovernment", "Azure US Government", "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net/", "https://graph.windows.net/", "https://management.core.usgovcloudapi.net/", "core.usgovcloudapi.net"},
		} {
			out = append(out, Doc{"Name": e[0], "DisplayName": e[1], "AuthenticationEndpoint": e[2], "ResourceManagerEndpoint": e[3],
				"GraphEndpoint": e[4], "ManagementEndpoint": e[5], "StorageEndpointSuffix": e[6]})
		}
		return out, nil
	})
}

// tenantScopedShape fills the scoping properties accounts, certificates and
// deployment targets share.
func tenantScopedShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "EnvironmentIds", []any{})
	ensure(d, "TenantIds", []any{})
	ensure(d, "TenantTags", []any{})
	ensure(d, "TenantedDeploymentParticipation", "Untenanted")
}

// validateTenantScope checks the scoping properties: the participation is
// one of its values and every environment and tenant exists in the space.
func validateTenantScope(c *Call, d Doc) error {
	if p := str(d, "TenantedDeploymentParticipation"); !slices.Contains(tenantedParticipation, p) {
		return badRequest(fmt.Sprintf("TenantedDeploymentParticipation '%s' is not one of %s.", p, strings.Join(tenantedParticipation, ", ")))
	}
	for _, ref := range [][2]string{{"EnvironmentIds", "Environments"}, {"TenantIds", "Tenants"}} {
		for _, id := range strs(d, ref[0]) {
			if !c.srv.exists(ref[1], c.SpaceID, id) {
				return badRequest(fmt.Sprintf("%s: '%s' does not exist in space %s.", ref[0], id, c.SpaceID))
			}
		}
	}
	return nil
}
