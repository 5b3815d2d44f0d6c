#!/usr/bin/env bash
# Runs every test: unit, configuration, and end-to-end (in-process gateway against in-process fake
# upstreams, driven by the official OpenAI .NET SDK). Needs only the .NET 10 SDK.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Switchyard.slnx -c Release "$@"
