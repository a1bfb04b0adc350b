/// The tasks waiting for a pool connection, oldest first.
///
/// Every acquire waits at most the same ``PGPool/Configuration/acquireTimeout``, so arrival
/// order is deadline order: the oldest waiter is served first and times out first. The queue
/// keeps entries sorted by deadline, which lets the timer look only at the front.
struct WaiterQueue<Waiter> {
    struct Entry {
        let id: UInt64
        let waiter: Waiter
        let deadline: ContinuousClock.Instant
    }

    /// Entries before `head` were already taken; they are dropped in batches so that taking the
    /// oldest waiter does not move the whole array each time.
    private var storage: [Entry] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Entry? { isEmpty ? nil : storage[head] }

    /// The entry at `offset` from the front (0 is the oldest).
    subscript(offset: Int) -> Entry { storage[head + offset] }

    /// Adds a waiter in deadline order. New waiters go to the back; an acquire that waits again
    /// after a failed health check keeps its original deadline and so its place in line.
    mutating func insert(_ entry: Entry) {
        var index = storage.count
        while index > head, storage[index - 1].deadline > entry.deadline { index -= 1 }
        storage.insert(entry, at: index)
    }

    /// Takes the oldest waiter.
    mutating func popFirst() -> Entry? {
        guard !isEmpty else { return nil }
        let entry = storage[head]
        head += 1
        compact()
        return entry
    }

    /// Removes the waiter with `id` (its task was cancelled), if it is still waiting.
    mutating func remove(id: UInt64) -> Entry? {
        guard let index = storage[head...].firstIndex(where: { $0.id == id }) else { return nil }
        return storage.remove(at: index)
    }

    /// Removes every waiter whose deadline is at or before `now`.
    mutating func removeExpired(now: ContinuousClock.Instant) -> [Entry] {
        var expired: [Entry] = []
        while let entry = first, entry.deadline <= now {
            expired.append(entry)
            head += 1
        }
        compact()
        return expired
    }

    /// Removes every waiter.
    mutating func removeAll() -> [Entry] {
        let all = Array(storage[head...])
        storage = []
        head = 0
        return all
    }

    private mutating func compact() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}

extension WaiterQueue: Sendable where Waiter: Sendable {}
extension WaiterQueue.Entry: Sendable where Waiter: Sendable {}
