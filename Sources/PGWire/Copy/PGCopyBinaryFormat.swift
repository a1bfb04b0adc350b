// The binary COPY format (PostgreSQL docs, COPY, "Binary Format"), shared by the encoder and
// the decoder:
//
//   header   11-byte signature "PGCOPY\n\377\r\n\0", Int32 flags, Int32 extension length,
//            then that many extension bytes
//   tuple    Int16 field count, then per field an Int32 length (-1 for NULL) and the bytes
//   trailer  Int16 -1
//
// Integers are big-endian. A tuple has the layout of a DataRow ('D') message body.

enum PGCopyBinaryFormat {
    /// `PGCOPY\n\377\r\n\0`.
    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    /// Signature, flags and extension length: the header before any extension bytes.
    static let fixedHeaderSize = 19

    /// Flag bit 16: each tuple carries an OID first (servers before 12, `WITH OIDS`).
    static let oidsFlag: UInt32 = 1 << 16

    /// Bits 16 to 31 mark format changes a reader must understand; 0 to 15 may be ignored.
    static let criticalFlags: UInt32 = 0xFFFF_0000

    /// The field count that ends the data.
    static let trailerFieldCount: Int16 = -1

    /// The most fields a tuple can have: the count is an Int16.
    static let maximumFieldCount = Int(Int16.max)
}
