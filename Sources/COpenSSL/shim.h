#ifndef PGEVENTSTORE_COPENSSL_SHIM_H
#define PGEVENTSTORE_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// Macros of OpenSSL's TLS API, as functions Swift can call.
static inline int pgwire_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int pgwire_ssl_ctx_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}
static inline int pgwire_ssl_ctx_set_max_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}
static inline int pgwire_x509_lookup_add_dir(X509_LOOKUP *lookup, const char *folder) {
    return (int)X509_LOOKUP_add_dir(lookup, folder, X509_FILETYPE_PEM);
}

#endif
