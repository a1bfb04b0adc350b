import FuzzSupport

/// The backend message framer, fed a stream in random chunks (bytes 0-1: limits and chunking seed).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.stream([UInt8](fuzzInput: start, count: count))
    return 0
}
