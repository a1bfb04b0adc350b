import FuzzSupport

/// Authentication request bodies (R), including SASL mechanism lists.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.authentication([UInt8](fuzzInput: start, count: count))
    return 0
}
