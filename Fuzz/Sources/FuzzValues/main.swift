import FuzzSupport

/// The binary and text value decoders (numeric, timestamp, interval, arrays, jsonb, ...).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    ValueFuzzing.values([UInt8](fuzzInput: start, count: count))
    return 0
}
