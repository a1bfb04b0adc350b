import FuzzSupport

/// SCRAM-SHA-256 server-first-messages.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    AuthFuzzing.serverFirst([UInt8](fuzzInput: start, count: count))
    return 0
}
