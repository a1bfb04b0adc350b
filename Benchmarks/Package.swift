// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that heavy peers never become dependencies of the
// libraries. Run from this folder: swift run -c release RoundTripBench
let package = Package(
    name: "PGEventStoreBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PGEventStore", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "RoundTripBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGTestServer", package: "PGEventStore"),
            ]
        ),
        .executableTarget(
            name: "StreamMemoryBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGTestServer", package: "PGEventStore"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
