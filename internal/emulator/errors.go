package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an error a handler returns to answer with an Octopus error body.
type apiError struct {
	Status  int
	Message string
	// Errors is the list of details. Octopus sends it only for validation
	// failures; a 404 body without Errors is what makes the legacy SDK return
	// *core.APIError (core.APIErrorChecker prefers Errors over the status).
	Errors []string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// body is the JSON the real server sends (pkg/core/api_error.go in the SDK).
func (e *apiError) body() map[string]any {
	b := map[string]any{"ErrorMessage": e.Message}
	if len(e.Errors) > 0 {
		b["Errors"] = e.Errors
	}
	return b
}

// notFound is the real server's 404 for a missing document.
func notFound(id string) error {
	return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("The resource '%s' was not found.", id)}
}

// errNoRoute is the real server's 404 for a path it does not serve.
var errNoRoute = &apiError{Status: http.StatusNotFound, Message: "The resource you requested was not found."}

// badRequest is a validation failure: Octopus answers 400 with a generic
// message and the details in Errors.
func badRequest(details ...string) error {
	return &apiError{Status: http.StatusBadRequest, Message: "There was a problem with your request.", Errors: details}
}

// errUnauthorized is the 401 body Octopus sends without a valid API key (text
// from OctopusClients' integration tests).
var errUnauthorized = &apiError{
	Status:  http.StatusUnauthorized,
	Message: "You must be logged in to perform this action. Please provide a valid API key or log in again.",
}

// writeJSON sends v with an explicit Content-Length: the SDK's newclient treats
// a response with ContentLength 0 as an empty success, even for a 4xx.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]any{"ErrorMessage": "encode response: " + err.Error()}) // a map of strings always encodes
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client has gone; nothing left to tell it
}

// writeError sends err as an Octopus error body; errors that are not apiErrors
// become 500s.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeJSON(w, ae.Status, ae.body())
}
