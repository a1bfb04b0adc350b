#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
/// Glibc imports RUSAGE_SELF as an enum case; getrusage takes its raw value.
private let RUSAGE_WHO_SELF = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_WHO_SELF = RUSAGE_SELF
#endif

/// The CPU time this process has used, user plus system, from `getrusage(RUSAGE_SELF)`:
/// the client's share of a benchmark (the server's is not counted).
enum ProcessCPU {
    static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_WHO_SELF, &usage) == 0 else { return 0 }
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }
}
