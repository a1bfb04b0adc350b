#!/usr/bin/env bash
# Builds the DocC documentation of PGWire, PGEventStore and PGTestServer with swift-docc-plugin, treating
# every DocC warning (a broken ``symbol`` link, an undocumented parameter, a malformed topic
# group) as an error, so the script exits non-zero on any of them.
#
#   scripts/docs.sh                 # PGWire, PGEventStore and PGTestServer
#   scripts/docs.sh PGWire          # one module
#
# Output (not committed): .build/docs/<Module>, an archive laid out for static hosting
# (serve the folder and open /documentation/pgwire or /documentation/pgeventstore). To preview
# with live reload instead:
#   swift package --disable-sandbox preview-documentation --target PGWire
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(PGWire PGEventStore PGTestServer); fi

mkdir -p .build/docs
for target in "${targets[@]}"; do
    start=$(date +%s)
    echo "docs: $target"
    log=".build/docs/$target.log"
    # The plugin (1.5.0) keeps --target, --output-path (where it moves the finished archive)
    # and a few flags of its own, and hands the rest, here --warnings-as-errors, to
    # `docc convert`. --disable-sandbox: where SwiftPM sandboxes plugins (macOS), it lets the
    # plugin write outside its own work folder.
    set +e
    swift package --disable-sandbox generate-documentation \
        --target "$target" \
        --warnings-as-errors \
        --output-path ".build/docs/$target" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    # With --warnings-as-errors a DocC warning fails `docc convert`, and the plugin then exits
    # non-zero. As a second net, a DocC diagnostic that still says "warning:" (with the
    # ` --> file:line` line DocC prints under each) fails the script too; SwiftPM's own
    # warnings carry no such line and do not.
    if [ "$status" -ne 0 ] || grep -A1 -E '^warning:' "$log" | grep -qE '^ *--> '; then
        echo "docs: $target failed (status $status); see $log" >&2
        exit 1
    fi
    echo "docs: $target built in $(( $(date +%s) - start )) s: .build/docs/$target"
done
