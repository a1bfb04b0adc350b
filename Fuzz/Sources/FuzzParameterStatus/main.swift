import FuzzSupport

/// ParameterStatus bodies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    BackendFuzzing.parameterStatus([UInt8](fuzzInput: start, count: count))
    return 0
}
