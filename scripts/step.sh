# Runs one octofleet step with the binary from the octofleet package.
# Generated into every octofleet step template (scripts/step.sh); no logic
# beyond turning the template's parameters into the binary's flags.
# Before this body the template sets: step (the subcommand), flags (lines of
# "Parameter=--flag"), envs (lines of "Parameter=ENV_NAME", for secrets).
set -eu

pkg=$(get_octopusvariable "Octopus.Action.Package[octofleet].ExtractedPath")
bin="$pkg/octofleet"
if [ ! -x "$bin" ]; then
  echo "octofleet: no executable 'octofleet' in the extracted octofleet package ($pkg)" >&2
  exit 1
fi

# Secrets go to the binary through its environment, never its command line.
OCTOPUS_API_KEY=$(get_octopusvariable "Octofleet.ApiKey")
export OCTOPUS_API_KEY
while IFS='=' read -r param env; do
  [ -n "$param" ] || continue
  value=$(get_octopusvariable "$param")
  if [ -n "$value" ]; then export "$env=$value"; fi
done <<ENVS
$envs
ENVS

# The input document goes through a file.
input=$(mktemp)
trap 'rm -f "$input"' EXIT
get_octopusvariable "Octofleet.Input" >"$input"

set -- "$step" --output octopus --input "$input" \
  --server "$(get_octopusvariable "Octofleet.Server")" \
  --tenant-name "$(get_octopusvariable "Octopus.Deployment.Tenant.Name")"
while IFS='=' read -r param flag; do
  value=$(get_octopusvariable "$param")
  [ -z "$value" ] || set -- "$@" "$flag" "$value"
done <<COMMON
Octofleet.Space=--space
Octofleet.LogLevel=--log-level
COMMON
[ "$(get_octopusvariable "Octofleet.DryRun")" != "True" ] || set -- "$@" --dry-run
while IFS='=' read -r param flag; do
  [ -n "$param" ] || continue
  value=$(get_octopusvariable "$param")
  [ -z "$value" ] || set -- "$@" "$flag" "$value"
done <<FLAGS
$flags
FLAGS
# One --var k=v per line of Octofleet.Vars: values the input's Go templates use.
while IFS= read -r kv; do
  [ -z "$kv" ] || set -- "$@" --var "$kv"
done <<VARS
$(get_octopusvariable "Octofleet.Vars")
VARS
IFS=','
for tag in $(get_octopusvariable "Octopus.Deployment.Tenant.Tags"); do
  set -- "$@" --tenant-tag "$tag"
done
unset IFS

exec "$bin" "$@"
