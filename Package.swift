// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// PGWire's async functions run on the caller's executor (SE-0461), so a query awaited from an
// actor (or the main actor) does its socket I/O there instead of hopping to the global pool and
// back: each hop costs 15-30 µs here, as much as a whole round trip.
let wireSettings: [SwiftSetting] = strictSettings + [
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "PGEventStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PGWire", targets: ["PGWire"]),
        .library(name: "PGTestServer", targets: ["PGTestServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libssl/libcrypto from the system (Debian: libssl-dev). Only PGWire's
        // Auth/OpenSSLCrypto.swift and Transport TLS code import it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // epoll, eventfd and ppoll, which Swift's Glibc module does not expose.
        .target(name: "CPGSystem"),
        .target(
            name: "PGWire",
            dependencies: [
                "COpenSSL",
                "CPGSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: wireSettings
        ),
        // Starts and stops a private PostgreSQL cluster; used by the tests and,
        // later, by `pgevents` for its embedded server.
        .target(
            name: "PGTestServer",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PGWireTests",
            dependencies: ["PGWire"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PGTestServerTests",
            dependencies: ["PGTestServer"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PGWireIntegrationTests",
            dependencies: ["PGWire", "PGTestServer"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
