import Synchronization

/// The per-connection cache of named prepared statements, keyed by SQL text and parameter
/// types, least recently used evicted first.
///
/// A repeated query is parsed once: the first run sends Parse with a name, later runs only
/// Bind and Execute, skipping the server's parse and plan work and the RowDescription.
/// Lookups happen while the connection's send lock is held, so a statement is always parsed on
/// the wire before any Bind that uses it.
final class StatementCache: Sendable {
    struct Key: Hashable {
        let sql: String
        let types: [PGDataType]
    }

    /// A class, so that marking an entry used does not write (and re-hash) the dictionary.
    final class Entry {
        let name: String
        /// Known after the first execution; until then each run asks for a RowDescription.
        var columns: PGColumns?
        var lastUse: UInt64

        init(name: String, columns: PGColumns?, lastUse: UInt64) {
            self.name = name
            self.columns = columns
            self.lastUse = lastUse
        }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var clock: UInt64 = 0
        var counter = 0
        /// Evicted statements to close on the server with the next request.
        var toClose: [String] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached statement for `key`, or a new name to parse it under (then `isNew`), and the
    /// evicted statements to close first: one lock for both.
    func lookup(_ key: Key) -> (name: String, columns: PGColumns?, isNew: Bool, toClose: [String]) {
        state.withLock { state in
            var toClose: [String] = []
            if !state.toClose.isEmpty {
                toClose = state.toClose
                state.toClose.removeAll()
            }
            state.clock += 1
            if let entry = state.entries[key] {
                entry.lastUse = state.clock
                return (entry.name, entry.columns, false, toClose)
            }
            state.counter += 1
            let name = "pgw_s\(state.counter)"
            if state.entries.count >= capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[oldest.key] = nil
                state.toClose.append(oldest.value.name)
            }
            state.entries[key] = Entry(name: name, columns: nil, lastUse: state.clock)
            toClose += state.toClose
            state.toClose.removeAll()
            return (name, nil, true, toClose)
        }
    }

    /// Records the columns of `key`'s statement once the server described them.
    func remember(_ columns: PGColumns, for key: Key, name: String) {
        state.withLock { state in
            if let entry = state.entries[key], entry.name == name { entry.columns = columns }
        }
    }

    /// Forgets `key` (a failed parse, or a plan the server says is stale) and closes it.
    func evict(_ key: Key, name: String) {
        state.withLock { state in
            guard state.entries[key]?.name == name else { return }
            state.entries[key] = nil
            state.toClose.append(name)
        }
    }

    /// Forgets everything without closing: the server already dropped them (DISCARD ALL,
    /// DEALLOCATE ALL).
    func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.toClose.removeAll()
        }
    }

    /// The number of cached statements.
    var count: Int { state.withLock { $0.entries.count } }
}
