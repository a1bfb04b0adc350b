import FuzzSupport

/// BackendKeyData bodies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.backendKeyData([UInt8](fuzzInput: start, count: count))
    return 0
}
