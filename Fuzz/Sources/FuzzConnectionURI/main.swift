import FuzzSupport

/// libpq connection URIs (the input follows postgresql://).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    ConfigurationFuzzing.uri([UInt8](fuzzInput: start, count: count))
    return 0
}
