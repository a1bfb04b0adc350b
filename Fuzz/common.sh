# Shared by build.sh, run.sh and smoke.sh; source it, do not run it.
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Every fuzzer (one executable each); keep in sync with Package.swift.
FUZZERS=(
    FuzzBackendStream FuzzBackendBody FuzzErrorNotice FuzzRowDescription FuzzDataRow
    FuzzParameterStatus FuzzBackendKeyData FuzzNotification FuzzAuthentication FuzzCopyResponse
    FuzzNegotiateProtocolVersion FuzzSCRAMServerFirst FuzzSCRAMServerFinal FuzzBase64 FuzzValues
    FuzzConnectionString FuzzConnectionURI FuzzCopyBinary FuzzCopyText FuzzPGPass FuzzJSONScanner
    FuzzIDsOnlyMetadata FuzzFlowMachines FuzzChannelBinding
)

# The dictionary of each fuzzer.
fuzz_dictionary() {
    case "$1" in
        FuzzSCRAM* | FuzzChannelBinding) echo "$FUZZ_DIR/Dictionaries/scram.dict" ;;
        FuzzBase64) echo "$FUZZ_DIR/Dictionaries/base64.dict" ;;
        FuzzValues) echo "$FUZZ_DIR/Dictionaries/values.dict" ;;
        FuzzConnection*) echo "$FUZZ_DIR/Dictionaries/connection.dict" ;;
        FuzzCopyBinary | FuzzCopyText) echo "$FUZZ_DIR/Dictionaries/copy.dict" ;;
        FuzzPGPass) echo "$FUZZ_DIR/Dictionaries/pgpass.dict" ;;
        FuzzJSONScanner | FuzzIDsOnlyMetadata) echo "$FUZZ_DIR/Dictionaries/json.dict" ;;
        *) echo "$FUZZ_DIR/Dictionaries/backend.dict" ;;
    esac
}

# libFuzzer's limits: any input over 10 s is a hang, any single allocation over 256 MB or a
# process over 2 GB is a finding (inputs are at most a few KB, so nothing legitimate comes near).
FUZZ_LIMITS=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256)

# Without this, a crash under ASan hangs in Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
# Leak checking stays on (libFuzzer's -detect_leaks=1 is the default); see lsan.supp.
export LSAN_OPTIONS="suppressions=$FUZZ_DIR/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# Builds every fuzzer into Fuzz/.build/release.
#
# `--sanitize=fuzzer --sanitize=address` alone gives no coverage: SwiftPM passes two separate
# -sanitize= flags to swiftc, and swiftc keeps only the last one, so nothing is instrumented for
# libFuzzer (checked with Swift 6.3.1: 16 counters in the whole binary). The -Xswiftc flag comes
# last and names both; SwiftPM's own flags still drive the link (libFuzzer's main, the runtimes).
fuzz_build() {
    (cd "$FUZZ_DIR" && swift build -c release --sanitize=fuzzer --sanitize=address \
        -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol '__asan_extra_spill_area'")
    return "${PIPESTATUS[0]}"
}

fuzz_binary() { echo "$FUZZ_DIR/.build/release/$1"; }
