import FuzzSupport

/// ErrorResponse and NoticeResponse bodies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.errorNotice([UInt8](fuzzInput: start, count: count))
    return 0
}
