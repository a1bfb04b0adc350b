import Dispatch
import Foundation

import PGTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `openssl s_client` as a direct-TLS client for the endpoint tests: it starts TLS at once,
/// offers the ALPN it is told, and sends its standard input through the session.
struct OpenSSLClient {
    struct Run {
        var status: Int32
        /// Standard output and standard error together.
        var output: String
    }

    /// Connects to 127.0.0.1:`port`, verifying the server against `certificateAuthority` as
    /// `localhost`, and sends `input`. Without `waitForServer` it ends when `input` is sent;
    /// with it (`-ign_eof`), when the server closes the session. Killed after `timeout`.
    static func run(
        port: Int,
        certificateAuthority: String,
        arguments: [String] = [],
        input: [UInt8] = [],
        waitForServer: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> Run {
        try await onOwnThread {
            try runBlocking(port: port, certificateAuthority: certificateAuthority, arguments: arguments,
                            input: input, waitForServer: waitForServer, timeout: timeout)
        }
    }

    private static func runBlocking(
        port: Int, certificateAuthority: String, arguments: [String], input: [UInt8], waitForServer: Bool, timeout: Duration
    ) throws -> Run {
        let command =
            [
                try openssl(), "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
                "-verify_hostname", "localhost", "-CAfile", certificateAuthority, "-verify_return_error", "-nocommands",
            ]
            + (waitForServer ? ["-ign_eof"] : []) + arguments
        let process = try ChildProcess(command, stdin: .bytes(input), stdout: .capture, stderr: .standardOutput)
        if !process.waitForExit(timeout: timeout) {
            process.kill()
            process.waitForExit()
        }
        let text = String(decoding: process.standardOutput, as: UTF8.self)
        return Run(status: process.termination?.status ?? -1, output: text)
    }

    private static func openssl() throws -> String {
        for candidate in ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw TestServerError("the openssl command-line tool is not installed")
    }
}

/// PostgreSQL frontend messages, as bytes, for talking to the server through the endpoint.
enum FrontendBytes {
    /// A StartupMessage (protocol 3.0) for `user` and `database`.
    static func startup(user: String, database: String) -> [UInt8] {
        let body = int32(196_608) + Array("user\0\(user)\0database\0\(database)\0\0".utf8)
        return int32(Int32(body.count + 4)) + body
    }

    /// A simple Query.
    static func query(_ sql: String) -> [UInt8] {
        let body = Array((sql + "\0").utf8)
        return [UInt8(ascii: "Q")] + int32(Int32(body.count + 4)) + body
    }

    /// Terminate: the server closes the session.
    static let terminate: [UInt8] = [UInt8(ascii: "X"), 0, 0, 0, 4]

    private static func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
