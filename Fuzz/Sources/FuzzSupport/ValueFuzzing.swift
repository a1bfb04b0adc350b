@_spi(Fuzzing) import PGWire

/// The value codecs, through the library's own fuzzing entry (which checks the round trips).
public enum ValueFuzzing {
    public static func values(_ input: [UInt8]) {
        PGValueFuzzing.decode(input)
    }
}
