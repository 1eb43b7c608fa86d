# Runs one octofleet step with the binary from the octofleet package: the
# PowerShell twin of scripts/step.sh, for Windows workers (Windows
# PowerShell 5.1 or PowerShell 7) and PowerShell on Linux and macOS.
# Generated into every octofleet step template; no logic beyond picking the
# binary for this worker and turning the template's parameters into its
# flags. Before this body the template sets: $step (the subcommand),
# $fields (items "Parameter=--flag", "Parameter=bool:--flag" or
# "Parameter=list:--flag": the input's field flags), $flags (items
# "Parameter=--flag": other flags) and $envs (items "Parameter=ENV_NAME",
# for secrets).
$ErrorActionPreference = 'Stop'

# Octopus's PowerShell bootstrap (Calamari) gives every script the
# variables in $OctopusParameters, a dictionary ignoring case.
function Get-OctofleetParameter([string]$Name) {
  if ($null -ne $OctopusParameters -and $OctopusParameters.ContainsKey($Name)) {
    return [string]$OctopusParameters[$Name]
  }
  return ''
}

# The binary built for this worker, as the packaged launcher (octofleet)
# picks it for Bash: octofleet_<os>_<arch>[.exe].
$pkg = Get-OctofleetParameter 'Octopus.Action.Package[octofleet].ExtractedPath'
if ($env:OS -eq 'Windows_NT') {
  # Windows PowerShell 5.1 has no $IsWindows; a 32-bit shell on a 64-bit
  # Windows reports its own architecture and the machine's in *W6432.
  $os = 'windows'
  $kernel = 'Windows_NT'
  $machine = $env:PROCESSOR_ARCHITEW6432
  if (-not $machine) { $machine = $env:PROCESSOR_ARCHITECTURE }
} else {
  $kernel = [string](& uname -s)
  $machine = [string](& uname -m)
  switch ($kernel) {
    'Linux' { $os = 'linux' }
    'Darwin' { $os = 'darwin' }
    default { $os = $kernel.ToLowerInvariant() }
  }
}
switch ($machine.ToLowerInvariant()) {
  { $_ -in @('x86_64', 'amd64', 'x64') } { $arch = 'amd64'; break }
  { $_ -in @('aarch64', 'arm64') -or $_.StartsWith('armv8') } { $arch = 'arm64'; break }
  default { $arch = $machine }
}
$bin = Join-Path $pkg ('octofleet_' + $os + '_' + $arch)
if ($os -eq 'windows') { $bin = $bin + '.exe' }
if (-not (Test-Path -LiteralPath $bin -PathType Leaf)) {
  $held = @()
  foreach ($f in @(Get-ChildItem -LiteralPath $pkg -Filter 'octofleet_*_*' -ErrorAction SilentlyContinue)) {
    $parts = $f.Name -replace '\.exe$', '' -split '_'
    if ($parts.Count -eq 3) { $held += $parts[1] + '/' + $parts[2] }
  }
  if ($held.Count -eq 0) { $held = @('no platform') }
  [Console]::Error.WriteLine('octofleet: this worker is ' + $os + '/' + $arch + ' (' + $kernel + ' ' + $machine + '), but the octofleet package holds binaries for ' + ($held -join ', ') + ' only (build.sh builds one per target)')
  exit 1
}
if ($os -ne 'windows') {
  # A package extracted from a zip has lost the executable bit.
  & chmod +x $bin
}

# The version of the package this binary came from: create-facade-project
# uploads the same package to a customer space.
$env:OCTOFLEET_PACKAGE_VERSION = Get-OctofleetParameter 'Octopus.Action.Package[octofleet].PackageVersion'

# Secrets go to the binary through its environment, never its command line.
$env:OCTOPUS_API_KEY = Get-OctofleetParameter 'Octofleet.ApiKey'
foreach ($pair in $envs) {
  $param, $name = $pair -split '=', 2
  $value = Get-OctofleetParameter $param
  if ($value -ne '') { [Environment]::SetEnvironmentVariable($name, $value, 'Process') }
}

$argv = New-Object 'System.Collections.Generic.List[string]'
$argv.Add($step)
$argv.Add('--output')
$argv.Add('octopus')
$argv.Add('--server')
$argv.Add((Get-OctofleetParameter 'Octofleet.Server'))
$argv.Add('--tenant-name')
$argv.Add((Get-OctofleetParameter 'Octopus.Deployment.Tenant.Name'))

# The input document goes through a file; without one, the field parameters
# become the field flags.
$document = Get-OctofleetParameter 'Octofleet.Input'
$inputFile = $null
if ($document -ne '') {
  $inputFile = [System.IO.Path]::GetTempFileName()
  [System.IO.File]::WriteAllText($inputFile, $document + "`n", (New-Object System.Text.UTF8Encoding $false))
  $argv.Add('--input')
  $argv.Add($inputFile)
} else {
  foreach ($pair in $fields) {
    $param, $flag = $pair -split '=', 2
    $value = Get-OctofleetParameter $param
    if ($flag.StartsWith('bool:')) {
      if ($value -ceq 'True') { $argv.Add($flag.Substring(5)) }
    } elseif ($flag.StartsWith('list:')) {
      foreach ($item in ($value -split '\r?\n')) {
        if ($item -ne '') { $argv.Add($flag.Substring(5)); $argv.Add($item) }
      }
    } elseif ($value -ne '') {
      $argv.Add($flag)
      $argv.Add($value)
    }
  }
}

foreach ($pair in @('Octofleet.Space=--space', 'Octofleet.LogLevel=--log-level') + $flags) {
  $param, $flag = $pair -split '=', 2
  $value = Get-OctofleetParameter $param
  if ($value -ne '') { $argv.Add($flag); $argv.Add($value) }
}
if ((Get-OctofleetParameter 'Octofleet.DryRun') -ceq 'True') { $argv.Add('--dry-run') }
# One --var k=v per line of Octofleet.Vars: values the input's Go templates use.
foreach ($kv in ((Get-OctofleetParameter 'Octofleet.Vars') -split '\r?\n')) {
  if ($kv -ne '') { $argv.Add('--var'); $argv.Add($kv) }
}
foreach ($tag in ((Get-OctofleetParameter 'Octopus.Deployment.Tenant.Tags') -split ',')) {
  if ($tag -ne '') { $argv.Add('--tenant-tag'); $argv.Add($tag) }
}

# Windows PowerShell (before 7.3, or with $PSNativeCommandArgumentPassing
# Legacy) puts an argument with a space in double quotes but escapes neither
# the quotes nor the backslashes before them, so a value such as
# 'Team "A"' reaches the binary split or changed (about_Parsing, "Passing
# arguments that contain quote characters"). Escape them as the Windows
# command-line rules that Go's parser follows expect.
$v = $PSVersionTable.PSVersion
$legacy = $v.Major -lt 7 -or ($v.Major -eq 7 -and $v.Minor -lt 3) -or $PSNativeCommandArgumentPassing -eq 'Legacy'
$native = foreach ($a in $argv) {
  if ($legacy -and $os -eq 'windows') {
    $a = [regex]::Replace($a, '(\\*)"', '$1$1\"')
    if ($a -match '\s') { $a = [regex]::Replace($a, '(\\+)$', '$1$1') }
  }
  $a
}

try {
  & $bin $native
  $code = $LASTEXITCODE
} finally {
  if ($inputFile) { Remove-Item -LiteralPath $inputFile -Force -ErrorAction SilentlyContinue }
}
exit $code
