#!/usr/bin/env bash
# Installs what the tests need (Debian packages), builds, runs every test project, and ends with one line:
# "N passed, N failed, N skipped" summed over all test projects.
set -uo pipefail
cd "$(dirname "$0")"

packages=()
[ -x /usr/sbin/mosquitto ] || packages+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || packages+=(mosquitto-clients)
[ -x /usr/bin/victoria-metrics ] || packages+=(victoria-metrics)
[ -x /usr/bin/chromium ] || packages+=(chromium)
# The dashboard's state icons (⛔, 🔔, ⏸…) in the browser tests' screenshots, as tablets and monitors show them.
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || packages+=(fonts-noto-color-emoji)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
# PostgreSQL 15: the shared store's tests start their own server with initdb/pg_ctl (docs/high-availability.md).
[ -x /usr/lib/postgresql/15/bin/initdb ] || packages+=(postgresql)
# promtool (checks and unit-tests the alert rules in deploy/prometheus).
command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing ${packages[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null || { echo "test.sh: apt-get install failed"; exit 1; }
  else
    echo "test.sh: missing Debian packages. Install them with:"
    echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}"
    exit 1
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
config=Release
results=$(pwd)/TestResults
rm -rf "$results"
mkdir -p "$results"

echo "test.sh: building ($config)"
if ! dotnet build Somnis.Facility.sln -c "$config" -nologo -clp:ErrorsOnly; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "test.sh: running $name"
  if ! dotnet test "$project" -c "$config" --no-build --nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
      > "$results/$name.log" 2>&1; then
    status=1
  fi
  # Show failures and skips with their messages; the full log stays in TestResults/.
  grep -E -A6 '^  (Failed|Skipped) [A-Z]' "$results/$name.log" | head -80
  grep -E '^(Passed|Failed)!' "$results/$name.log" 
done

# The bedside build under arm64 emulation, read by the hub (slow: publish + qemu; SOMNIS_SKIP_ARM64=1 skips it).
arm64_passed=0 arm64_failed=0 arm64_skipped=0
if [ "${SOMNIS_SKIP_ARM64:-0}" = "1" ]; then
  echo "test.sh: arm64 end-to-end skipped (SOMNIS_SKIP_ARM64=1)"
  arm64_skipped=1
else
  echo "test.sh: running the arm64 end-to-end check"
  if timeout 900 bash eng/arm64-e2e.sh "$config" > "$results/arm64-e2e.log" 2>&1; then
    arm64_passed=1
    tail -1 "$results/arm64-e2e.log"
  else
    arm64_failed=1
    status=1
    tail -30 "$results/arm64-e2e.log"
  fi
fi

# The alert rules (deploy/prometheus) through Prometheus' own checker and their unit tests: two checks, counted as tests.
rules_passed=0 rules_failed=0
for check in "check rules deploy/prometheus/somnis.rules.yml" "test rules deploy/prometheus/somnis.rules.test.yml"; do
  # shellcheck disable=SC2086 # the words of $check are promtool's arguments
  if promtool $check > "$results/promtool.log" 2>&1; then
    rules_passed=$((rules_passed + 1))
  else
    rules_failed=$((rules_failed + 1))
    status=1
    echo "test.sh: promtool $check failed:"
    tail -30 "$results/promtool.log"
  fi
done
echo "test.sh: alert rules: $rules_passed passed, $rules_failed failed (promtool)"

# Sum the counters of every TRX file (a project that crashed before writing one counts as one failure).
read -r passed failed skipped < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    # xunit's TRX logger marks a skipped test NotExecuted but leaves the notExecuted counter at 0: count them as
    # total - executed.
    s += max(int(c.get("notExecuted", 0)), int(c.get("total", 0)) - int(c.get("executed", 0)))
print(p, f, s)
PY
)
projects=$(ls tests/*/*.csproj | wc -l)
trx=$(ls "$results"/*.trx 2>/dev/null | wc -l)
if [ "$trx" -lt "$projects" ]; then
  failed=$((failed + projects - trx))
  status=1
fi
passed=$((passed + arm64_passed + rules_passed)); failed=$((failed + arm64_failed + rules_failed)); skipped=$((skipped + arm64_skipped))
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
