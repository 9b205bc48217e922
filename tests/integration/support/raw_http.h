/* A raw HTTP/1.1 client over a TCP socket, for tests that send bytes the way
 * attackers do (duplicated headers, smuggled requests, pipelines, trickled
 * bodies) and read exactly what the server answers. libcurl would refuse or
 * repair most of these requests.
 *
 * Every read has a deadline (poll()); nothing sleeps. */
#ifndef SIO_TEST_RAW_HTTP_H
#define SIO_TEST_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct raw_conn {
    int fd;
    char *buf; /* bytes received and not yet taken as a response */
    size_t len, cap;
    bool eof;  /* the server closed (FIN or reset) */
} raw_conn;

typedef struct raw_response {
    int status;
    char *head; /* status line and headers, NUL-terminated */
    char *body; /* NUL-terminated */
    size_t body_len;
} raw_response;

/* Connects to 127.0.0.1:port. Returns 0 or -1. */
int raw_connect(raw_conn *c, int port);
/* Sends all of p (a short write is retried). Returns 0, or -1 when the
 * server has closed the connection. */
int raw_send(raw_conn *c, const void *p, size_t n);
int raw_send_str(raw_conn *c, const char *s);
/* Reads one response (a head and a Content-Length body) within timeout_ms.
 * Returns 0, or -1 when the connection closed or the time ran out first. */
int raw_read_response(raw_conn *c, raw_response *r, int timeout_ms);
void raw_response_free(raw_response *r);
/* The value of header `name` in r's head (case-insensitive), malloc'd, or NULL. */
char *raw_header(const raw_response *r, const char *name);
/* Waits up to timeout_ms for the server to close the connection. True when
 * it did and sent nothing more before closing (*extra, when not NULL, gets
 * the number of bytes that came instead). */
bool raw_wait_closed(raw_conn *c, int timeout_ms, size_t *extra);
/* True when nothing arrives and the connection stays open for `ms`. */
bool raw_stays_open(raw_conn *c, int ms);
void raw_close(raw_conn *c);

#endif
