#!/usr/bin/env bash
# Builds every fuzzer (release, libFuzzer and AddressSanitizer) into Fuzz/.build/release.
set -euo pipefail
source "$(dirname "$0")/common.sh"
fuzz_build
