#!/usr/bin/env bash
# Runs every Sesemi test (unit, architecture and functional) and writes TRX results.
# Usage: ./test.sh [extra dotnet test options]   (results in $SESEMI_TEST_RESULTS, default artifacts/test-results)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="${SESEMI_TEST_RESULTS:-$PWD/artifacts/test-results}"
rm -rf "$results" && mkdir -p "$results"
exec dotnet test --solution Sesemi.slnx --results-directory "$results" --report-xunit-trx --no-progress "$@"
