/// FNV-1a, 32 bits: a hash that is stable across processes, platforms and versions (unlike
/// `Hasher`), for names that must map to the same advisory lock keys and channel names
/// everywhere.
enum FNV1a {
    static func hash32(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
