import FuzzSupport

/// The SSLRequest answer byte, then a SCRAM-SHA-256(-PLUS) exchange under channel_binding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    AuthFuzzing.channelBinding([UInt8](fuzzInput: start, count: count))
    return 0
}
