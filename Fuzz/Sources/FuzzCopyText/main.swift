import FuzzSupport

/// Text and CSV COPY data fed in chunks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    CopyFuzzing.text([UInt8](fuzzInput: start, count: count))
    return 0
}
