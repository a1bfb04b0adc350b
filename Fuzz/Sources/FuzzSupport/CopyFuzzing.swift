@_spi(Fuzzing) import PGWire

/// The COPY data decoders, through the library's own fuzzing entries (which compare whole and
/// chunked decoding and check the round trips through the encoders).
public enum CopyFuzzing {
    public static func binary(_ input: [UInt8]) {
        PGCopyFuzzing.decode(input)
    }

    public static func text(_ input: [UInt8]) {
        PGCopyFuzzing.decodeText(input)
    }
}
