/* The HTTP request that opened a session (its handshake), as the layers
 * above Engine.IO and the application see it: headers, client address,
 * URL, time, TLS. Built once by the transport binding, then immutable and
 * shared by reference (a session, its Socket.IO client and every socket
 * made from it), so that it lives as long as the longest of them.
 *
 * It is the public type sio_request of include/sio.h, whose accessors
 * (sio_request_header(), ...) are defined in request.c. */
#ifndef SIO_UTIL_REQUEST_H
#define SIO_UTIL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h"

/* A header: offsets of its lower-case name and of its value in `text`. */
typedef struct sio_request_field {
    uint32_t name, value;
} sio_request_field;

/* Every string of a request lives in one buffer, `text`, and is named by
 * its offset there (offset 0 is an empty string): a session holds its
 * request for its whole life, and one allocation per header name and value
 * cost about 700 bytes a connection. */
struct sio_request {
    uint32_t refs;
    bool secure;
    int64_t time_ms; /* when it arrived, ms since the Unix epoch */
    uint32_t address; /* the client's address, after the trusted-proxy rule */
    uint32_t peer;    /* the TCP peer's address */
    uint32_t url;     /* path and query, as requested */
    sio_request_field *headers;
    uint32_t n_headers, cap_headers;
    char *text;
    uint32_t text_len, text_cap;
    bool sealed; /* headers and text live in the same allocation (sio_request_seal) */
};

/* An empty request with one reference; NULL when out of memory. */
sio_request *sio_request_new(void);
sio_request *sio_request_ref(sio_request *r);
void sio_request_unref(sio_request *r);
/* Appends a header (the name is lower-cased; a repeated name is kept twice,
 * a lookup finds the first). Returns 0 or -1 when out of memory. */
int sio_request_add_header(sio_request *r, const char *name, size_t name_len, const char *value,
                           size_t value_len);
/* Sets one of the string fields (&r->address, &r->peer, &r->url) to a copy
 * of `value`; 0 or -1. */
int sio_request_set(sio_request *r, uint32_t *field, const char *value);
/* The complete request in one allocation, sized to its contents, in
 * place of `r` (which must not be shared yet: one reference). Returns the
 * new request, or `r` itself when out of memory. */
sio_request *sio_request_seal(sio_request *r);

/* Whether `addr` (IPv4 or IPv6 text) is in one of the ranges: addresses or
 * CIDR blocks ("10.0.0.0/8", "::1", "fd00::/8"); an IPv4-mapped IPv6
 * address counts as its IPv4 address. */
bool sio_addr_in_ranges(const char *addr, const char *const *ranges, size_t n);
/* Whether every entry is an address or a CIDR block; *bad gets the first
 * that is not. */
bool sio_ranges_valid(const char *const *ranges, size_t n, const char **bad);

/* The client's address behind trusted proxies, as Express's "trust proxy"
 * reads X-Forwarded-For: when the peer is trusted, walk the header's
 * addresses from the right and take the first that is not trusted (or the
 * leftmost when all are); otherwise the peer itself. Writes it to
 * out[0..cap) and returns out. */
const char *sio_forwarded_client(const char *peer, const char *xff, const char *const *trusted, size_t n,
                                 char *out, size_t cap);

#endif
