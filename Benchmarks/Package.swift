// swift-tools-version:6.2
import PackageDescription

// Benchmarks live in their own package so that heavy peers (postgres-nio, SwiftNIO) never become
// dependencies of the libraries. Run from this folder:
//
//   swift run -c release PGBench [--only append|roundtrip|pipeline|read|store|notify|pool|sublatency|catchup] [--events N]
//   swift run -c release PGBench --tls [--only append|roundtrip|pipeline|read]   # plaintext against TLS
//   swift run -c release RoundTripBench
//   swift run -c release StreamMemoryBench
//   swift run -c release ReplicaBench     # reads on a streaming standby against the primary
//   swift run -c release PgBouncerBench [seconds] [rounds]   # direct against PgBouncer (transaction mode)

let package = Package(
    name: "PGEventStoreBenchmarks",
    dependencies: [
        .package(name: "PGEventStore", path: ".."),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "PGBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGEventStore", package: "PGEventStore"),
                .product(name: "PGTestServer", package: "PGEventStore"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .executableTarget(
            name: "RoundTripBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGTestServer", package: "PGEventStore"),
            ]
        ),
        .executableTarget(
            name: "ReplicaBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGEventStore", package: "PGEventStore"),
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
        .executableTarget(
            name: "PgBouncerBench",
            dependencies: [
                .product(name: "PGWire", package: "PGEventStore"),
                .product(name: "PGEventStore", package: "PGEventStore"),
                .product(name: "PGTestServer", package: "PGEventStore"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
