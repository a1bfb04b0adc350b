import FoundationEssentials
import FuzzSupport
import PGEventStore

/// Event metadata from JSON (`EventMetadata(json:)`), whose fast path reads ids-only objects
/// with a small scanner of its own (`EventMetadata+IDsOnly.swift`) and leaves the rest to
/// JSONDecoder. The whole input is the metadata's JSON text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    checkMetadata([UInt8](fuzzInput: start, count: count))
    return 0
}

/// - What JSONDecoder decodes as the full EventMetadata, `EventMetadata(json:)` gives equally
///   (the same ids, the same extra keys).
/// - What JSONDecoder rejects, `EventMetadata(json:)` rejects too (with a `.decoding` error),
///   unless the text is only whitespace (documented as empty metadata): the fast path accepts
///   nothing the full decoder would refuse.
/// - Decoded metadata, encoded, decodes to itself.
func checkMetadata(_ input: [UInt8]) {
    let full = try? JSONDecoder().decode(EventMetadata.self, from: Data(input))
    let decoded: EventMetadata?
    do {
        decoded = try EventMetadata(json: input)
    } catch let error as EventStoreError {
        check(error.code == .decoding, "EventMetadata(json:) threw \(error)")
        decoded = nil
    } catch {
        fail("EventMetadata(json:) threw \(type(of: error)): \(error)")
    }
    let blank = input.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    if let full {
        check(decoded?.correlationID == full.correlationID, "correlation id \(String(describing: decoded?.correlationID)), JSONDecoder \(String(describing: full.correlationID))")
        check(decoded?.causationID == full.causationID, "causation id \(String(describing: decoded?.causationID)), JSONDecoder \(String(describing: full.causationID))")
        check(decoded == full, "EventMetadata(json:) gives \(String(describing: decoded)), JSONDecoder \(full)")
    } else if blank {
        check(decoded == EventMetadata(), "blank text is not empty metadata")
    } else {
        check(decoded == nil, "EventMetadata(json:) accepts what JSONDecoder rejects: \(String(describing: decoded))")
    }
    if let decoded {
        guard let encoded = try? decoded.encodedJSON() else { fail("decoded metadata does not encode: \(decoded)") }
        check((try? EventMetadata(json: encoded)) == decoded, "\(decoded) encodes as \(String(decoding: encoded, as: UTF8.self)), which decodes differently")
    }
}
