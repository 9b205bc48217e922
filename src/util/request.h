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

typedef struct sio_request_field {
    char *name; /* lower case */
    char *value;
} sio_request_field;

struct sio_request {
    uint32_t refs;
    char *address; /* the client's address, after the trusted-proxy rule */
    char *peer;    /* the TCP peer's address */
    char *url;     /* path and query, as requested */
    int64_t time_ms; /* when it arrived, ms since the Unix epoch */
    bool secure;
    sio_request_field *headers;
    size_t n_headers, cap_headers;
};

/* An empty request with one reference; NULL when out of memory. */
sio_request *sio_request_new(void);
sio_request *sio_request_ref(sio_request *r);
void sio_request_unref(sio_request *r);
/* Appends a header (the name is lower-cased; a repeated name is kept twice,
 * lookups join the values). Returns 0 or -1 when out of memory. */
int sio_request_add_header(sio_request *r, const char *name, size_t name_len, const char *value,
                           size_t value_len);
/* Sets a string field (address, peer, url) to a copy; 0 or -1. */
int sio_request_set(char **field, const char *value);

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
