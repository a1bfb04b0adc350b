import PGWire

/// Files the server writes and reads itself, for the ceilings' `COPY ... TO/FROM '<file>'`:
/// in its data folder, which the server's OS user can write to and a private server deletes
/// on stop. Needs superuser (or pg_read_all_settings and pg_read/write_server_files).
struct ServerFiles {
    let directory: String

    static func locate(_ admin: PGConnection) async throws -> ServerFiles {
        for try await row in try await admin.query("SELECT current_setting('data_directory')") {
            return ServerFiles(directory: try row.decode(String.self, at: 0))
        }
        throw BenchError("data_directory is not set")
    }

    /// The file `name` in the data folder, as an SQL string literal.
    func literal(_ name: String) -> String {
        "'" + (directory + "/" + name).replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Leaves the file (a literal from ``literal(_:)``) empty, so that a server that is not
    /// ours keeps no copy of the rows.
    static func empty(_ admin: PGConnection, _ literal: String) async {
        _ = try? await admin.simpleQuery("COPY (SELECT 1 WHERE false) TO \(literal)")
    }

    /// A ceiling's status after `error`: unavailable when the role may not use server files.
    static func status(for error: any Error) -> Outcome.Status {
        if let error = error as? PGError, error.sqlState == "42501" {
            return .unavailable("server-side COPY needs superuser or pg_write_server_files: \(error.message)")
        }
        return .failed(String(describing: error))
    }
}
