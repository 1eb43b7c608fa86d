package emulator

import (
	"net/http"
	"strings"
)

// PermissionFor is the permission the emulator checks for a request of
// method to route (as Request.Route records it: "/api/{spaceId}/projects/{id}",
// "/api/spaces"), and whether it is a system permission. It returns ""
// when a role in the space (or, at system level, any authenticated user) is
// enough. octofleet's tests use it to derive, from the requests a step
// made, the permissions the step needs.
func PermissionFor(method, route string) (permission string, system bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(route, "/api"), "/")
	for _, prefix := range []string{"spaces/{spaceid}/", "{spaceid}/"} {
		if strings.HasPrefix(strings.ToLower(rest), prefix) {
			return requiredPermission(method, rest[len(prefix):]), false
		}
	}
	if strings.EqualFold(rest, "{spaceid}") || strings.EqualFold(rest, "spaces/{spaceid}") {
		return "", false
	}
	if method == http.MethodGet {
		return "", true
	}
	segs := strings.Split(strings.ToLower(rest), "/")
	if len(segs) >= 3 && segs[0] == "users" && segs[2] == "apikeys" {
		return "", true // users manage their own API keys
	}
	perms, ok := systemWritePermissions[segs[0]]
	if !ok {
		return "AdministerSystem", true
	}
	switch method {
	case http.MethodPost:
		return perms[0], true
	case http.MethodDelete:
		return perms[2], true
	}
	return perms[1], true
}
