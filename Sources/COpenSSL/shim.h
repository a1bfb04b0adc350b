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
#include <openssl/bio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>

// Macros of OpenSSL's TLS API, as functions Swift can call.
static inline int pgwire_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int pgwire_ssl_ctx_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}
static inline void pgwire_ssl_ctx_set_read_ahead(SSL_CTX *context, int on) {
    SSL_CTX_set_read_ahead(context, on);
}
static inline int pgwire_ssl_ctx_set_max_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}
static inline int pgwire_x509_lookup_add_dir(X509_LOOKUP *lookup, const char *folder) {
    return (int)X509_LOOKUP_add_dir(lookup, folder, X509_FILETYPE_PEM);
}

// OpenSSL's reason for the last failure on this thread, into `buffer` (NUL-terminated), and
// "no reason given" when it recorded none.
static inline void pgwire_last_error(char *buffer, size_t size) {
    unsigned long code = ERR_get_error();
    if (code == 0) {
        snprintf(buffer, size, "no reason given");
    } else {
        ERR_error_string_n(code, buffer, size);
    }
}

// A socket BIO whose writes use send(MSG_NOSIGNAL). OpenSSL's own socket BIO uses write(),
// which raises SIGPIPE when the server has closed the connection and kills a process that does
// not ignore it; plaintext writes already use MSG_NOSIGNAL. Reads, control and lifetime are the
// socket BIO's own (libpq wraps the socket BIO the same way, for the same reason).
static int pgwire_bio_send(BIO *bio, const char *data, int length) {
    int fd = (int)BIO_get_fd(bio, NULL);
    BIO_clear_retry_flags(bio);
    ssize_t sent = send(fd, data, (size_t)length, MSG_NOSIGNAL);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
        return -1;
    }
    return (int)sent;
}

// Builds the method; the caller keeps one for the process (Swift's lazy global).
static inline BIO_METHOD *pgwire_make_socket_bio_method(void) {
    const BIO_METHOD *socket = BIO_s_socket();
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                      "PGWire socket");
    if (method == NULL) return NULL;
    if (!BIO_meth_set_write(method, pgwire_bio_send)
        || !BIO_meth_set_read(method, BIO_meth_get_read(socket))
        || !BIO_meth_set_puts(method, BIO_meth_get_puts(socket))
        || !BIO_meth_set_ctrl(method, BIO_meth_get_ctrl(socket))
        || !BIO_meth_set_create(method, BIO_meth_get_create(socket))
        || !BIO_meth_set_destroy(method, BIO_meth_get_destroy(socket))) {
        BIO_meth_free(method);
        return NULL;
    }
    return method;
}

// Gives `ssl` a BIO of `method` on `fd` (not closed with the BIO); 1 on success.
static inline int pgwire_ssl_set_socket(SSL *ssl, BIO_METHOD *method, int fd) {
    BIO *bio = BIO_new(method);
    if (bio == NULL) return 0;
    BIO_set_fd(bio, fd, BIO_NOCLOSE);
    SSL_set_bio(ssl, bio, bio);
    return 1;
}

#endif
