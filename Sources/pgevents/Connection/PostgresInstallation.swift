import Foundation
import PGTestServer

/// The local PostgreSQL installation the embedded server runs from.
enum PostgresInstallation {
    /// The folders PGTestServer searches, in its order, for the error message.
    static let searchedFolders = [
        "the folders of PATH",
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/usr/local/opt/postgresql@*/bin",
        "/Applications/Postgres.app/Contents/Versions/*/bin",
    ]

    /// The folder holding `initdb`, `pg_ctl`, `postgres` and `psql`.
    /// - Throws: ``CommandFailure`` saying exactly what to install.
    static func binDirectory() throws(CommandFailure) -> URL {
        do {
            return try TestServer.findBinaries()
        } catch {
            throw CommandFailure(notFoundMessage)
        }
    }

    static var notFoundMessage: String {
        "no PostgreSQL installation found for the embedded server (searched "
            + searchedFolders.joined(separator: ", ")
            + " for initdb, pg_ctl, postgres and psql). Install one: `apt-get install postgresql` (Debian, Ubuntu), "
            + "`dnf install postgresql-server` (Fedora, RHEL) or `brew install postgresql@17` (macOS); "
            + "or connect to a running server with --url or DATABASE_URL"
    }
}
