import FuzzSupport

/// Any backend message body (byte 0: the type byte).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.anyBody([UInt8](fuzzInput: start, count: count))
    return 0
}
