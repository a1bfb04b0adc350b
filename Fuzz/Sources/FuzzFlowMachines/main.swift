@_spi(Fuzzing) import PGWire
import FuzzSupport

/// The protocol flows' state machines driven by arbitrary message sequences (byte 0: the flow,
/// byte 1: its parameters, then two bytes per message). Invariants: see PGFlowFuzzing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    if let broken = PGFlowFuzzing.run([UInt8](fuzzInput: start, count: count)) { fail(broken) }
    return 0
}
