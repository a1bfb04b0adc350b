import Foundation
import PGEventStore
import PGWire

/// Benchmark 5: PGEventStore's `append`, with a version check on every stream head, against
/// the server's own ceilings (the store's events table and hindsight's, loaded from a file)
/// and postgres-nio's best plain append; both of its paths (binary COPY, one round trip) at
/// several batch sizes, to place `copyThreshold`; single-event appends by concurrent writers
/// against a bare INSERT.
enum StoreBench {
    static let bench = "store"
    static let copyMethod = "copy"
    static let unnestMethod = "unnest"
    /// Smaller batches both paths also run (besides `--batch`), with at most `sweepEvents` events.
    static let sweepSizes = [10, 100]
    static let sweepEvents = 100_000

    /// `store-copy-1000`: the path and the batch size, so that StoreRatios finds the other path.
    static func key(_ method: String, batch: Int) -> String { "store-\(method)-\(batch)" }

    static func run(_ target: Target, _ options: Options, _ report: Report) async throws {
        let generationStart = Measure.nanoseconds()
        let batches = EventData.make(events: options.events, streams: options.streams, batchSize: options.batchSize)
        let writes = try StoreWrites.make(batches)
        let seconds = String(format: "%.1f", Double(Measure.nanoseconds() - generationStart) / 1e9)
        print(
            "store: generated \(options.events) events in \(writes.count) appends of "
                + "\(writes.first?.count ?? 0) stream writes in \(seconds) s")
        try await target.withPGWire { admin in
            // The library's default threshold (256), unless the batches are smaller: this row is
            // the COPY path.
            let threshold = min(BenchStore.defaultCopyThreshold, options.batchSize)
            report.add(
                await append(
                    writes, "PGEventStore append", events: options.events, batch: options.batchSize,
                    copyThreshold: threshold, target, admin))
            // Right after: the ceilings load the rows this contender wrote.
            for outcome in await StoreCeilings.run(admin, options) { report.add(outcome) }
            report.add(
                await append(
                    writes, "PGEventStore append (no COPY)", events: options.events, batch: options.batchSize,
                    copyThreshold: Int.max, target, admin))
            try await sweep(target, options, report, admin)
            report.add(await HindsightCeiling.run(admin, options))
            await postgresNIO(target, options, report, batches, admin)
            await SingleAppends.run(target, options, report, admin)
            _ = try? await admin.simpleQuery("DROP SCHEMA IF EXISTS \(BenchStore.schema) CASCADE")
        }
    }

    /// Both paths with batches of `sweepSizes` events: where COPY starts to win.
    private static func sweep(_ target: Target, _ options: Options, _ report: Report, _ admin: PGConnection) async throws {
        let events = min(options.events, sweepEvents)
        for size in sweepSizes where size != options.batchSize {
            let writes = try StoreWrites.make(EventData.make(events: events, streams: options.streams, batchSize: size))
            report.add(
                await append(
                    writes, "PGEventStore append ×\(size) (COPY)", events: events, batch: size, copyThreshold: size,
                    target, admin))
            report.add(
                await append(
                    writes, "PGEventStore append ×\(size) (no COPY)", events: events, batch: size,
                    copyThreshold: Int.max, target, admin))
        }
    }

    /// One `append` per element of `writes` into a fresh store, sequentially on its one
    /// connection, then checked: every event stored, every head at its stream's last version.
    static func append(
        _ writes: [[StreamWrite]], _ name: String, events: Int, batch: Int, copyThreshold: Int, _ target: Target,
        _ admin: PGConnection
    ) async -> Outcome {
        let copy = batch >= copyThreshold
        let method = copy ? copyMethod : unnestMethod
        var outcome = Outcome(
            bench: bench, key: key(method, batch: batch), name: name, library: .pgEventStore, method: method,
            unit: "events")
        let application = "pgbench-" + outcome.key
        do {
            let store = try await BenchStore.fresh(target, admin, name: application, copyThreshold: copyThreshold)
            do {
                // migrate() opened the one connection the appends reuse.
                let pids = try await BenchStore.serverPIDs(admin, name: application)
                outcome.cost = try await Measure.run(serverPIDs: pids) {
                    for write in writes { _ = try await store.append(write) }
                }
                await store.close()
            } catch {
                await store.close()
                throw error
            }
            try await BenchStore.check(admin, expected: events)
            outcome.operations = events
            let calls = "one append per batch, one StreamWrite per stream, each .exact(its version before the batch); fresh schema"
            outcome.note =
                copy
                ? "COPY path (copyThreshold ≤ batch): BEGIN + one statement that upserts, checks and moves the heads (one round trip), "
                    + "binary COPY of the events, written rows + COMMIT in one more; " + calls
                : "one-round-trip path (copyThreshold above the batch): one statement upserts, checks and moves the "
                    + "heads and inserts the events (unnest), one implicit transaction; " + calls
        } catch {
            outcome.status = .failed(String(describing: error))
        }
        return outcome
    }

    /// postgres-nio's plain appends (unnest INSERT, text COPY) into the append benchmark's table,
    /// for ÷nio-best, unless the append benchmark ran them in this invocation already.
    private static func postgresNIO(
        _ target: Target, _ options: Options, _ report: Report, _ batches: [EventBatch], _ admin: PGConnection
    ) async {
        let ran = report.outcomes.contains {
            $0.bench == AppendBench.bench && $0.library == .postgresNIO && $0.status == .ok
        }
        if ran {
            print("store: ÷nio-best uses postgres-nio's rows of the append benchmark above")
            return
        }
        for contender in AppendBench.contenders where contender.library == .postgresNIO {
            report.add(await AppendBench.measure(contender, bench: bench, target, options, batches, admin))
        }
    }
}
