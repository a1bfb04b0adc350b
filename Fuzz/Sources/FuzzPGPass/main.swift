import FuzzSupport

/// libpq's password file (`.pgpass`): the input is the file's contents.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    PGPassFuzzing.file([UInt8](fuzzInput: start, count: count))
    return 0
}
