import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM for a command that runs until interrupted (`tail`).
///
/// The default action would end the process mid-write, leave the subscription's connection to
/// the server's timeout and an embedded server to the watchdog. Instead the first signal calls
/// `action`, which asks the command to end as it does after `--limit`: stop the subscription,
/// flush, close, stop the embedded server, exit 0. A second signal, for when that hangs (a
/// server that stopped answering), exits at once with 128 + the signal's number, as a shell
/// reports a process killed by it.
final class Interrupts {
    private static let numbers: [Int32] = [SIGINT, SIGTERM]

    /// How many signals came; shared with the handlers, which run on a dispatch queue.
    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    private let sources: [any DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        let count = Count()
        sources = Self.numbers.map { number in
            // Ignored, the signal is still delivered to the dispatch source.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.value.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                    action()
                } else {
                    Diagnostics.error("interrupted again: exiting without stopping cleanly")
                    exit(128 + number)
                }
            }
            source.resume()
            return source
        }
    }

    /// Gives the signals their default actions back.
    func restore() {
        for source in sources { source.cancel() }
        for number in Self.numbers { signal(number, SIG_DFL) }
    }
}
