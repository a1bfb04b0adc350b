import FuzzSupport

/// Base64 as SCRAM uses it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    AuthFuzzing.base64([UInt8](fuzzInput: start, count: count))
    return 0
}
