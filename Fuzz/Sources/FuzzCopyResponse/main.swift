import FuzzSupport

/// CopyIn/Out/BothResponse bodies (byte 0 picks the type).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.copyResponse([UInt8](fuzzInput: start, count: count))
    return 0
}
