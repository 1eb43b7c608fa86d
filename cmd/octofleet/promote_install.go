package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/steps"
)

// promotionFlags are install's flags for the promotion project.
type promotionFlags struct {
	Promotion       bool     `help:"Also keep the project \"octofleet promotion\" (Development -> Test -> Production), whose deployment to an environment promotes the configuration to that environment's instance."`
	PromotionTarget []string `name:"promotion-target" sep:"none" help:"With --promotion: the instance an environment's deployment promotes to, ENV=URL (Test=https://test.octopus.example.com); repeatable, one per environment." placeholder:"ENV=URL"`
	PromotionKeys   string   `name:"promotion-keys" type:"existingfile" help:"With --promotion: the targets' API keys, a YAML or JSON object ENV: KEY (the key, env:VAR or file:PATH; never printed). Without it (or for an environment it leaves out) OCTOFLEET_PROMOTION_API_KEY_<ENV> (OCTOFLEET_PROMOTION_API_KEY_TEST); a key the project holds already is kept unless --rotate-secrets." placeholder:"FILE"`
	PromotionSource string   `name:"promotion-source" help:"With --promotion: the instance promoted from (default: this instance, #{Octopus.Web.ServerUri}, with the hub API key); its key from OCTOFLEET_PROMOTION_SOURCE_API_KEY (default: the hub API key)." placeholder:"URL"`
	PromotionSpace  []string `name:"promotion-space" sep:"none" help:"With --promotion: a source space promoted; repeatable (default: every space)." placeholder:"NAME"`

	promotion *steps.PromotionInput // settled by validate
}

// promotionKeyEnv is the environment variable holding an environment's
// target API key: OCTOFLEET_PROMOTION_API_KEY_TEST.
func promotionKeyEnv(env string) string {
	return "OCTOFLEET_PROMOTION_API_KEY_" + strings.ToUpper(env)
}

// validate checks the promotion flags and reads the keys, before any
// request; a problem is an *InputError naming the flag (exit 80).
func (f *promotionFlags) validate() error {
	if !f.Promotion {
		for flag, set := range map[string]bool{"--promotion-target": len(f.PromotionTarget) > 0, "--promotion-keys": f.PromotionKeys != "",
			"--promotion-source": f.PromotionSource != "", "--promotion-space": len(f.PromotionSpace) > 0} {
			if set {
				return &steps.InputError{Field: flag, Err: fmt.Errorf("needs --promotion")}
			}
		}
		return nil
	}
	if len(f.PromotionTarget) == 0 {
		return &steps.InputError{Field: "--promotion-target", Err: fmt.Errorf("--promotion needs at least one target instance, ENV=URL (environments: %s)", strings.Join(steps.PromotionEnvironments, ", "))}
	}
	in := &steps.PromotionInput{SourceURL: f.PromotionSource, SourceAPIKey: strings.TrimSpace(os.Getenv("OCTOFLEET_PROMOTION_SOURCE_API_KEY")), Spaces: f.PromotionSpace}
	if f.PromotionSource != "" {
		if err := checkURL(f.PromotionSource); err != nil {
			return &steps.InputError{Field: "--promotion-source", Err: err}
		}
	}
	for _, t := range f.PromotionTarget {
		env, u, ok := strings.Cut(t, "=")
		if !ok || env == "" || u == "" {
			return &steps.InputError{Field: "--promotion-target", Err: fmt.Errorf("%q: want ENV=URL", t)}
		}
		if !slices.Contains(steps.PromotionEnvironments, env) {
			return &steps.InputError{Field: "--promotion-target", Err: fmt.Errorf("%q: environment %q is not one of the promotion lifecycle's (%s)", t, env, strings.Join(steps.PromotionEnvironments, ", "))}
		}
		if err := checkURL(u); err != nil {
			return &steps.InputError{Field: "--promotion-target", Err: fmt.Errorf("%q: %w", t, err)}
		}
		if slices.ContainsFunc(in.Targets, func(x steps.PromotionTarget) bool { return x.Environment == env }) {
			return &steps.InputError{Field: "--promotion-target", Err: fmt.Errorf("environment %q has two targets", env)}
		}
		in.Targets = append(in.Targets, steps.PromotionTarget{Environment: env, URL: u})
	}
	keys := map[string]string{}
	if f.PromotionKeys != "" {
		raw, err := os.ReadFile(f.PromotionKeys)
		if err != nil {
			return &steps.InputError{Field: "--promotion-keys", Err: err}
		}
		doc, err := toJSON(raw)
		if err == nil {
			err = json.Unmarshal(doc, &keys)
		}
		if err != nil {
			return &steps.InputError{Field: "--promotion-keys " + f.PromotionKeys, Err: fmt.Errorf("want an object ENV: KEY: %w", err)}
		}
		for env, ref := range keys {
			if !slices.ContainsFunc(in.Targets, func(x steps.PromotionTarget) bool { return x.Environment == env }) {
				return &steps.InputError{Field: "--promotion-keys " + f.PromotionKeys, Err: fmt.Errorf("%s: no --promotion-target for this environment", env)}
			}
			if strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:") {
				v, err := ui.ResolveSecret(ref)
				if err != nil {
					return &steps.InputError{Field: "--promotion-keys " + f.PromotionKeys + ": " + env, Err: err}
				}
				keys[env] = v
			}
		}
	}
	for i, t := range in.Targets {
		k, ok := keys[t.Environment]
		if !ok {
			k = strings.TrimSpace(os.Getenv(promotionKeyEnv(t.Environment)))
		}
		in.Targets[i].APIKey = k // "" keeps the key the project holds (install refuses when it holds none)
	}
	f.promotion = in
	return nil
}

// checkURL accepts an absolute http(s) URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
