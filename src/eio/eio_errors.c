/* The Engine.IO error codes and close reasons, in Node's words (declared in
 * eio_engine.h). */
#include "eio/eio_engine.h"

#include <string.h>

#include "util/json.h"

const char *eio_error_message(eio_error e)
{
    switch (e) {
    case EIO_ERR_UNKNOWN_TRANSPORT: return "Transport unknown";
    case EIO_ERR_UNKNOWN_SID: return "Session ID unknown";
    case EIO_ERR_BAD_HANDSHAKE_METHOD: return "Bad handshake method";
    case EIO_ERR_BAD_REQUEST: return "Bad request";
    case EIO_ERR_FORBIDDEN: return "Forbidden";
    case EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION: return "Unsupported protocol version";
    case EIO_ERR_NONE: break;
    }
    return "";
}

int eio_error_body(sio_buf *b, eio_error e)
{
    return eio_error_body_message(b, e, eio_error_message(e));
}

int eio_error_body_message(sio_buf *b, eio_error e, const char *message)
{
    int rc = sio_buf_puts(b, "{\"code\":");
    rc |= sio_buf_put_i64(b, e);
    rc |= sio_buf_puts(b, ",\"message\":");
    rc |= json_write_string(b, message, strlen(message));
    rc |= sio_buf_puts(b, "}");
    return rc ? -1 : 0;
}

const char *eio_close_reason_str(eio_close_reason r)
{
    switch (r) {
    case EIO_CLOSE_TRANSPORT_CLOSE: return "transport close";
    case EIO_CLOSE_TRANSPORT_ERROR: return "transport error";
    case EIO_CLOSE_PARSE_ERROR: return "parse error";
    case EIO_CLOSE_PING_TIMEOUT: return "ping timeout";
    case EIO_CLOSE_FORCED: return "forced close";
    case EIO_CLOSE_QUEUE_FULL: return "send queue full";
    case EIO_CLOSE_SERVER_SHUTDOWN: return "server shutting down";
    }
    return "unknown";
}
