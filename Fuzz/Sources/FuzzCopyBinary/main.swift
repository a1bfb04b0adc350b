import FuzzSupport

/// Binary COPY data (COPY TO STDOUT (FORMAT binary)) fed in chunks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    CopyFuzzing.binary([UInt8](fuzzInput: start, count: count))
    return 0
}
