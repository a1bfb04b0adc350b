/// One numbered schema migration: a file under `sql/` and its bytes, embedded.
struct Migration: Sendable, Equatable {
    /// The number at the start of the file name.
    let version: Int
    /// `NNNN_name.sql`.
    let fileName: String
    /// The file's text, applied with the store's schema first on the `search_path`.
    let sql: String

    /// The newest schema version this library knows.
    static var latestVersion: Int { embedded.last?.version ?? 0 }
}
