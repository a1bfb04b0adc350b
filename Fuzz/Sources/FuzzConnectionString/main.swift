import FuzzSupport

/// libpq connection strings (key=value, or a URI).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    ConfigurationFuzzing.connectionString([UInt8](fuzzInput: start, count: count))
    return 0
}
