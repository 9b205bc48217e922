/* A minimal WebSocket client over a raw TCP socket, for integration tests.
 *
 *   ws_client c;
 *   int status = ws_connect(&c, port, "/engine.io/?EIO=4&transport=websocket", NULL, 2000);
 *   // status 101: connected; another number: the server refused (c.fd closed)
 *   ws_send_text(&c, "4hello");
 *   ws_msg m;
 *   if (ws_recv(&c, &m, 2000) == 1) ... m.opcode, m.data, m.len ... ws_msg_free(&m);
 *   ws_disconnect(&c);
 *
 * The handshake uses the fixed key of RFC 6455 ("dGhlIHNhbXBsZSBub25jZQ==")
 * and checks the Sec-WebSocket-Accept answer. Frames sent are masked; every
 * read takes a deadline. */
#ifndef SIO_TEST_WS_CLIENT_H
#define SIO_TEST_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

#define WS_TEST_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_TEST_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

typedef struct ws_client {
    int fd;
    int status;          /* HTTP status of the handshake answer */
    char *resp_headers;  /* the handshake answer's header block */
    char *resp_body;     /* what followed a refusal's headers (may be empty) */
    unsigned char *rx;   /* bytes read, not parsed yet */
    size_t rxlen, rxcap;
    bool closed;         /* a close frame came, or the connection ended */
    bool close_frame;    /* it was a close frame */
    bool close_sent;
    int close_code;      /* the close frame's code; 1005 none in it; 1006 no frame */
    uint32_t mask_seed;
} ws_client;

typedef struct ws_frame {
    int opcode;
    bool fin;
    unsigned char *data; /* malloc'd, NUL-terminated for convenience */
    size_t len;
} ws_frame;

typedef ws_frame ws_msg; /* a whole message: fin set, opcode TEXT or BINARY */

/* A TCP connection to 127.0.0.1:port, or -1. */
int tcp_connect(int port, int timeout_ms);

/* Writes the whole buffer (blocking socket). 0 or -1. */
int tcp_write_all(int fd, const void *p, size_t n);

/* The upgrade request for `path` (with query) and extra headers ("Name: v",
 * NULL-terminated, may be NULL). malloc'd. */
char *ws_request(int port, const char *path, const char *const headers[]);

/* Connects and upgrades. Returns the HTTP status of the answer (101 when
 * upgraded; then the Sec-WebSocket-Accept was checked), or -1 on connection
 * error, timeout or a bad accept key. On anything but 101 the socket is closed
 * (c->status, c->resp_headers, c->resp_body stay readable until
 * ws_disconnect). */
int ws_connect(ws_client *c, int port, const char *path, const char *const headers[], int timeout_ms);

/* Same, with `extra` bytes written right after the request, in the same
 * write (raw bytes after the upgrade request). */
int ws_connect_extra(ws_client *c, int port, const char *path, const char *const headers[],
                     const void *extra, size_t extra_len, int timeout_ms);

/* One masked frame. 0 or -1. */
int ws_send_frame(ws_client *c, int opcode, bool fin, const void *data, size_t len);
int ws_send_text(ws_client *c, const char *s);
int ws_send_binary(ws_client *c, const void *data, size_t len);
/* A close frame with a code (and no reason). */
int ws_send_close(ws_client *c, int code);
/* Raw bytes on the socket. */
int ws_send_raw(ws_client *c, const void *data, size_t len);

/* The next frame, control frames included. 1: a frame in *f; 0: nothing
 * before the deadline; -1: the connection ended (c->closed; a close frame is
 * answered and returned as -1 with c->close_code set). */
int ws_read_frame(ws_client *c, ws_frame *f, int timeout_ms);

/* The next data message, fragments reassembled; pings are answered, pongs
 * skipped. 1 / 0 / -1 as ws_read_frame. */
int ws_recv(ws_client *c, ws_msg *m, int timeout_ms);

/* Receives a text message and compares it with `want`: true when equal. On
 * a mismatch prints what came. */
bool ws_expect_text(ws_client *c, const char *want, int timeout_ms);

/* Discards messages until the connection ends. true when it ended before the
 * deadline (c->close_code tells how). */
bool ws_wait_closed(ws_client *c, int timeout_ms);

void ws_frame_free(ws_frame *f);
#define ws_msg_free ws_frame_free

/* Closes the socket (no close frame) and frees everything. Safe twice. */
void ws_disconnect(ws_client *c);

#endif
