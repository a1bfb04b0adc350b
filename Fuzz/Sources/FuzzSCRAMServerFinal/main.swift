import FuzzSupport

/// SCRAM-SHA-256 server-final-messages.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    AuthFuzzing.serverFinal([UInt8](fuzzInput: start, count: count))
    return 0
}
