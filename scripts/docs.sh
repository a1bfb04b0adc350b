#!/usr/bin/env bash
# Builds the DocC documentation of PGWire and PGEventStore with swift-docc-plugin, treating
# every DocC warning (a broken ``symbol`` link, an undocumented parameter, a malformed topic
# group) as an error, so the script exits non-zero on any of them.
#
#   scripts/docs.sh                 # both modules
#   scripts/docs.sh PGWire          # one module
#
# Output (not committed): .build/docs/<Module>, an archive laid out for static hosting
# (serve the folder and open /documentation/pgwire or /documentation/pgeventstore). To preview
# with live reload instead:
#   swift package --disable-sandbox preview-documentation --target PGWire
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(PGWire PGEventStore); fi

mkdir -p .build/docs
for target in "${targets[@]}"; do
    start=$(date +%s)
    echo "docs: $target"
    log=".build/docs/$target.log"
    # --disable-sandbox: where SwiftPM sandboxes plugins (macOS), lets the plugin write to the
    # folder named by --output-path. The plugin keeps --target (and --verbose and a few of its
    # own flags) and hands the rest, here --warnings-as-errors and --output-path, to
    # `docc convert`.
    set +e
    swift package --disable-sandbox generate-documentation \
        --target "$target" \
        --warnings-as-errors \
        --output-path ".build/docs/$target" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    # The plugin reports a failed `docc convert` as an error; check for warnings as well, in
    # case a version of the plugin or of docc lets one through with status 0.
    if [ "$status" -ne 0 ] || grep -qE '^(warning|error):' "$log"; then
        echo "docs: $target failed (status $status); see $log" >&2
        exit 1
    fi
    echo "docs: $target built in $(( $(date +%s) - start )) s: .build/docs/$target"
done
