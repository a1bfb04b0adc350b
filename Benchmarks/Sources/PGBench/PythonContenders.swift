import Foundation
import PGTestServer
import Synchronization

/// The Python COPY contenders of the append benchmark, psycopg 3 (binary COPY, `write_row`) and
/// asyncpg (binary COPY, `copy_records_to_table`): `Python/copy_append.py` run as a subprocess
/// in a venv of its own, on the rows this run generated, which it reads from a file so that
/// every contender writes the same ids, streams, versions, types, payloads and metadata.
enum PythonContenders {
    static func psycopg(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try run("psycopg", target, batches)
    }

    static func asyncpg(_ target: Target, _ batches: [EventBatch]) async throws -> Cost {
        try run("asyncpg", target, batches)
    }

    /// The script beside this source tree: `Benchmarks/Python/copy_append.py`.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Python/copy_append.py")

    private static func run(_ client: String, _ target: Target, _ batches: [EventBatch]) throws -> Cost {
        let python = try PythonEnvironment.python().get()
        let rows = try RowsFile.url(for: batches)
        // libpq's variables, which psycopg and asyncpg both read: the server PGWire connects to.
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = target.pgwire.host
        environment["PGPORT"] = String(target.pgwire.port)
        environment["PGUSER"] = target.pgwire.user
        environment["PGDATABASE"] = target.pgwire.database
        if let password = target.pgwire.password ?? target.pgwire.servers.first?.password {
            environment["PGPASSWORD"] = password
        }
        let process = try ChildProcess(
            [python.path, script.path, client, rows.path, String(batches.first?.count ?? 1)], environment: environment)
        let status = process.waitForExit().status
        let text = String(decoding: process.standardOutput, as: UTF8.self)
        let errorText = String(decoding: process.standardError, as: UTF8.self)
        struct Result: Decodable {
            var rows: Int
            var wall: Double
            var client_cpu: Double
            var server_cpu: Double?
        }
        guard status == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let result = try? JSONDecoder().decode(Result.self, from: Data(line.utf8))
        else {
            let tail = errorText.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw BenchError("\(client) failed (status \(status)): \(tail)")
        }
        let expected = batches.reduce(0) { $0 + $1.count }
        guard result.rows == expected else { throw BenchError("\(client) copied \(result.rows) rows, not \(expected)") }
        return Cost(wall: result.wall, clientCPU: result.client_cpu, serverCPU: result.server_cpu)
    }
}

/// A venv with psycopg and asyncpg under `~/.cache/pgbench-python` (or `$XDG_CACHE_HOME`),
/// made on first use with `python3 -m venv` and pip; later runs find it ready.
enum PythonEnvironment {
    private static let cached = Mutex<Result<URL, Unavailable>?>(nil)

    static func python() -> Result<URL, Unavailable> {
        cached.withLock { cached in
            if let cached { return cached }
            let result = Result { try prepare() }.mapError { Unavailable(reason: "skipped: \($0)") }
            cached = result
            return result
        }
    }

    static var folder: URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("pgbench-python/venv")
    }

    private static func prepare() throws -> URL {
        let python = folder.appendingPathComponent("bin/python")
        if (try? shell(python.path, ["-c", "import psycopg, asyncpg"])) != nil { return python }
        print("append: installing psycopg and asyncpg into \(folder.path)")
        do {
            try shell("/usr/bin/env", ["python3", "-m", "venv", folder.path])
        } catch {
            throw BenchError("python3 -m venv failed (on Debian: apt-get install python3-venv): \(error)")
        }
        do {
            try shell(folder.appendingPathComponent("bin/pip").path, ["install", "-q", "psycopg[binary]", "asyncpg"])
        } catch {
            throw BenchError("pip install psycopg[binary] asyncpg failed: \(error)")
        }
        try shell(python.path, ["-c", "import psycopg, asyncpg"])
        return python
    }

    /// Runs a program to its end; throws its last lines of output if it fails.
    private static func shell(_ program: String, _ arguments: [String]) throws {
        let process = try ChildProcess([program] + arguments, stderr: .standardOutput)
        let status = process.waitForExit().status
        let text = String(decoding: process.standardOutput, as: UTF8.self)
        guard status == 0 else {
            throw BenchError(text.split(separator: "\n").suffix(2).joined(separator: " | "))
        }
    }
}

/// The run's events as tab-separated lines (id, stream, version, type, payload, metadata) in a
/// temporary file, written once for all Python contenders and removed when PGBench exits.
enum RowsFile {
    private static let written = Mutex<(count: Int, url: URL)?>(nil)

    static func url(for batches: [EventBatch]) throws -> URL {
        let count = batches.reduce(0) { $0 + $1.count }
        return try written.withLock { written in
            // The same run always passes the same batches; a count that differs is another set.
            if let written, written.count == count { return written.url }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("pgbench-rows-\(getpid()).tsv")
            var data = Data()
            data.reserveCapacity(count * 300)
            for batch in batches {
                for i in 0..<batch.count {
                    data.append(contentsOf: Array(batch.ids[i].uuidString.lowercased().utf8))
                    for field in [batch.streams[i], String(batch.versions[i]), batch.types[i]] {
                        data.append(0x09)
                        data.append(contentsOf: Array(field.utf8))
                    }
                    // JSON text has its tabs and newlines escaped: the payloads hold none raw.
                    data.append(0x09)
                    data.append(contentsOf: batch.payloads[i])
                    data.append(0x09)
                    data.append(contentsOf: batch.metadata[i])
                    data.append(0x0A)
                }
            }
            try data.write(to: url)
            atexit { try? FileManager.default.removeItem(atPath: RowsFile.path) }
            written = (count, url)
            return url
        }
    }

    /// The file's path, for the exit handler (a C function pointer captures nothing).
    static var path: String { FileManager.default.temporaryDirectory.appendingPathComponent("pgbench-rows-\(getpid()).tsv").path }
}
