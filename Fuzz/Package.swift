// swift-tools-version:6.2
import PackageDescription

// libFuzzer targets for PGWire's decoders, in their own package so that the sanitizer build
// never touches the main package. Build and run from this folder with ./run.sh or ./smoke.sh;
// see README.md.

/// One executable per fuzzer; each file defines `LLVMFuzzerTestOneInput` and calls into FuzzSupport.
let fuzzers = [
    "FuzzBackendStream",
    "FuzzBackendBody",
    "FuzzErrorNotice",
    "FuzzRowDescription",
    "FuzzDataRow",
    "FuzzParameterStatus",
    "FuzzBackendKeyData",
    "FuzzNotification",
    "FuzzAuthentication",
    "FuzzCopyResponse",
    "FuzzNegotiateProtocolVersion",
    "FuzzSCRAMServerFirst",
    "FuzzSCRAMServerFinal",
    "FuzzBase64",
    "FuzzValues",
    "FuzzConnectionString",
    "FuzzConnectionURI",
    "FuzzCopyBinary",
    "FuzzCopyText",
    "FuzzPGPass",
    "FuzzFlowMachines",
    "FuzzChannelBinding",
]

let package = Package(
    name: "PGWireFuzz",
    dependencies: [
        .package(name: "PGEventStore", path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "PGWire", package: "PGEventStore")]
        ),
    ] + fuzzers.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport"])
    } + [
        // pgevents' JSONScanner.swift, compiled here through a symlink in the target's folder
        // (pgevents is an executable target, which no other target can import).
        .executableTarget(name: "FuzzJSONScanner", dependencies: ["FuzzSupport"]),
        // EventMetadata(json:) and its ids-only scanner.
        .executableTarget(
            name: "FuzzIDsOnlyMetadata",
            dependencies: ["FuzzSupport", .product(name: "PGEventStore", package: "PGEventStore")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
