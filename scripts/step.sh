# Runs one octofleet step with the binary from the octofleet package.
# Generated into every octofleet step template (scripts/step.sh); no logic
# beyond turning the template's parameters into the binary's flags.
# Before this body the template sets: step (the subcommand), fields (lines of
# "Parameter=--flag", "Parameter=bool:--flag" or "Parameter=list:--flag":
# the input's field flags), flags (lines of "Parameter=--flag": other flags)
# and envs (lines of "Parameter=ENV_NAME", for secrets).
set -eu

# The package's "octofleet" is the launcher (scripts/octofleet.sh) that runs
# the binary built for this worker's OS and architecture.
pkg=$(get_octopusvariable "Octopus.Action.Package[octofleet].ExtractedPath")
bin="$pkg/octofleet"
[ ! -f "$bin" ] || [ -x "$bin" ] || chmod +x "$bin" # lost in a zip
if [ ! -x "$bin" ]; then
  echo "octofleet: no executable 'octofleet' in the extracted octofleet package ($pkg)" >&2
  exit 1
fi

# The version of the package this binary came from: create-facade-project
# uploads the same package to a customer space.
OCTOFLEET_PACKAGE_VERSION=$(get_octopusvariable "Octopus.Action.Package[octofleet].PackageVersion")
export OCTOFLEET_PACKAGE_VERSION

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

set -- "$step" --output octopus \
  --server "$(get_octopusvariable "Octofleet.Server")" \
  --tenant-name "$(get_octopusvariable "Octopus.Deployment.Tenant.Name")"

# The input document goes through a file; without one, the field parameters
# become the field flags.
document=$(get_octopusvariable "Octofleet.Input")
if [ -n "$document" ]; then
  input=$(mktemp)
  trap 'rm -f "$input"' EXIT
  printf '%s\n' "$document" >"$input"
  set -- "$@" --input "$input"
else
  while IFS='=' read -r param flag; do
    [ -n "$param" ] || continue
    value=$(get_octopusvariable "$param")
    case "$flag" in
    bool:*)
      [ "$value" != "True" ] || set -- "$@" "${flag#bool:}"
      ;;
    list:*)
      while IFS= read -r item; do
        [ -z "$item" ] || set -- "$@" "${flag#list:}" "$item"
      done <<ITEMS
$value
ITEMS
      ;;
    *)
      [ -z "$value" ] || set -- "$@" "$flag" "$value"
      ;;
    esac
  done <<FIELDS
$fields
FIELDS
fi

while IFS='=' read -r param flag; do
  [ -n "$param" ] || continue
  value=$(get_octopusvariable "$param")
  [ -z "$value" ] || set -- "$@" "$flag" "$value"
done <<FLAGS
Octofleet.Space=--space
Octofleet.LogLevel=--log-level
$flags
FLAGS
[ "$(get_octopusvariable "Octofleet.DryRun")" != "True" ] || set -- "$@" --dry-run
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
