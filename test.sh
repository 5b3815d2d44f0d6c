#!/usr/bin/env bash
# Runs every test: unit, configuration, and end-to-end (in-process gateway against in-process fake
# upstreams, driven by the official OpenAI and Anthropic .NET SDKs), plus the storage tests against real servers.
# Each .ci/services/*.sh script installs its service from Debian packages if missing (as root, or with sudo),
# starts it on loopback and prints the variables the tests read; set SWITCHYARD_TEST_SKIP_<NAME>=1 to go without one.
set -euo pipefail
cd "$(dirname "$0")"
for service in .ci/services/*.sh; do
  name=$(basename "$service" .sh | tr '[:lower:]' '[:upper:]')
  skip="SWITCHYARD_TEST_SKIP_${name}"
  if [ "${!skip:-}" != "1" ]; then
    eval "$("$service")"
  fi
done
dotnet test Switchyard.slnx -c Release "$@"
