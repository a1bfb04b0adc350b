internal import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The names a certificate is for: its subjectAltName DNS and IP entries, and its common name,
/// for telling a user which hosts a certificate that failed verify-full would have matched.
struct CertificateNames {
    var dns: [String] = []
    var addresses: [String] = []
    var commonName: String?

    /// Every name, DNS names first, then addresses, then the common name if it is not one of them.
    var all: [String] {
        var names = dns + addresses
        if let commonName, !names.contains(commonName) { names.append(commonName) }
        return names
    }

    init(_ certificate: OpaquePointer) {
        if let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let stack = OpaquePointer(raw)
            for index in 0..<OPENSSL_sk_num(stack) {
                guard let entry = OPENSSL_sk_value(stack, index)?.assumingMemoryBound(to: GENERAL_NAME.self) else { continue }
                switch entry.pointee.type {
                case GEN_DNS: if let text = Self.text(entry.pointee.d.dNSName) { dns.append(text) }
                case GEN_IPADD: if let address = Self.address(entry.pointee.d.iPAddress) { addresses.append(address) }
                default: break
                }
            }
            GENERAL_NAMES_free(stack)
        }
        if let subject = X509_get_subject_name(certificate) {
            let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
            if index >= 0, let entry = X509_NAME_get_entry(subject, index) {
                commonName = Self.text(X509_NAME_ENTRY_get_data(entry))
            }
        }
    }

    private static func text(_ string: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))), as: UTF8.self)
    }

    private static func text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        text(UnsafePointer(string))
    }

    /// An iPAddress entry's 4 or 16 bytes in the usual notation.
    private static func address(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let length = Int(ASN1_STRING_length(string))
        let family: Int32
        switch length {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, data, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
