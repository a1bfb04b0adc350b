/// How the data of a `COPY ... FROM STDIN` is cut into CopyData messages (issue 20).
///
/// Measured on PostgreSQL 15 (PGBench's append, 1,000-row binary COPYs): the size of the
/// CopyData messages does not change the server's CPU per row (16 KiB to 256 KiB alike within
/// noise), since the server reads the socket 8 KiB at a time whatever the framing. What it
/// changes is when the server starts: it does nothing until the first message arrives, so a
/// 256 KiB threshold left it idle while the client encoded most of a 280 KB batch. 64 KiB, the
/// size of the server's COPY input buffer, starts it after ~230 rows and keeps the client's
/// buffer small; the socket buffers (hundreds of KiB on loopback) hold several messages, so
/// the server never waits on the client between them, on small or large machines alike.
enum CopyInFraming {
    /// Send the buffered COPY data once it reaches this many bytes.
    static let defaultFlushThreshold = 64 * 1024

    /// Appends `data` as CopyData (nothing when empty) and, for the last piece, CopyDone, so
    /// that the end of the copy costs no extra write and the server no extra wait.
    static func append(_ data: [UInt8], final: Bool, to encoder: inout FrontendMessageEncoder) {
        if !data.isEmpty { encoder.copyData(data) }
        if final { encoder.copyDone() }
    }
}
