#include "sio/sio_codec.h"

#include <string.h>

#include "util/utf8.h"

static const char *const reserved[] = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

bool sio_is_reserved_event(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == len && memcmp(reserved[i], name, len) == 0)
            return true;
    return false;
}

void sio_codec_limits_default(sio_codec_limits *l)
{
    l->max_attachments = 10;
    l->json.max_tokens = 65536;
    l->json.max_depth = 32;
}

const char *sio_decode_strerror(int err)
{
    switch (err) {
    case SIO_DECODE_OK: return "ok";
    case SIO_E_TYPE: return "unknown packet type";
    case SIO_E_ATTACHMENTS: return "invalid attachments";
    case SIO_E_NSP: return "invalid namespace";
    case SIO_E_ACK_ID: return "invalid ack id";
    case SIO_E_PAYLOAD: return "invalid payload";
    case SIO_E_SHAPE: return "invalid payload format";
    case SIO_E_RESERVED: return "reserved event name";
    case SIO_E_PLACEHOLDER: return "invalid placeholder";
    case SIO_E_NOMEM: return "out of memory";
    case SIO_E_MESSAGE: return "unexpected message";
    }
    return "unknown error";
}

/* Every {"_placeholder":true,"num":N} in the payload must name an
 * attachment that exists. */
static int check_placeholders(const json_doc *d, unsigned attachments)
{
    for (int i = 0; i < d->ntok; i++) {
        if (json_type_of(d, i) != JSON_OBJECT)
            continue;
        int flag = json_object_get(d, i, "_placeholder");
        if (flag < 0 || json_type_of(d, flag) != JSON_TRUE)
            continue;
        int num = json_object_get(d, i, "num");
        int64_t n;
        if (num < 0 || !json_get_int(d, num, &n) || n < 0 || n >= (int64_t)attachments)
            return SIO_E_PLACEHOLDER;
    }
    return SIO_DECODE_OK;
}

static int check_shape(const sio_packet *pkt)
{
    const json_doc *d = &pkt->json;
    bool has = pkt->data != NULL;
    switch (pkt->type) {
    case SIO_PKT_CONNECT:
        return !has || json_type_of(d, 0) == JSON_OBJECT ? SIO_DECODE_OK : SIO_E_SHAPE;
    case SIO_PKT_DISCONNECT:
        return has ? SIO_E_SHAPE : SIO_DECODE_OK;
    case SIO_PKT_EVENT:
    case SIO_PKT_BINARY_EVENT: {
        if (!has || json_type_of(d, 0) != JSON_ARRAY || json_size(d, 0) < 1)
            return SIO_E_SHAPE;
        if (json_type_of(d, 1) != JSON_STRING)
            return SIO_E_SHAPE;
        /* Compared unescaped: "connec\u0074" is "connect". */
        sio_buf name;
        sio_buf_init(&name, 0);
        if (json_string_decode(d, 1, &name)) {
            sio_buf_free(&name);
            return SIO_E_NOMEM;
        }
        bool is_reserved = sio_is_reserved_event((const char *)name.data, name.len);
        sio_buf_free(&name);
        return is_reserved ? SIO_E_RESERVED : SIO_DECODE_OK;
    }
    case SIO_PKT_ACK:
    case SIO_PKT_BINARY_ACK:
        return has && json_type_of(d, 0) == JSON_ARRAY ? SIO_DECODE_OK : SIO_E_SHAPE;
    case SIO_PKT_CONNECT_ERROR:
        return SIO_E_TYPE;
    }
    return SIO_E_TYPE;
}

int sio_decode(const char *p, size_t n, const sio_codec_limits *lim, sio_packet *out)
{
    sio_codec_limits defaults;
    if (!lim) {
        sio_codec_limits_default(&defaults);
        lim = &defaults;
    }
    memset(out, 0, sizeof(*out));
    out->id = -1;
    out->nsp = "/";
    out->nsp_len = 1;
    if (n == 0 || p[0] < '0' || p[0] > '6')
        return SIO_E_TYPE;
    out->type = (sio_packet_type)(p[0] - '0');
    size_t i = 1;

    bool binary = out->type == SIO_PKT_BINARY_EVENT || out->type == SIO_PKT_BINARY_ACK;
    if (binary) {
        size_t start = i;
        uint64_t count = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 6)
            count = count * 10 + (uint64_t)(p[i++] - '0');
        if (i == start || i >= n || p[i] != '-' || count == 0 || count > lim->max_attachments)
            return SIO_E_ATTACHMENTS;
        out->attachments = (unsigned)count;
        i++;
    }

    if (i < n && p[i] == '/') {
        size_t start = i;
        while (i < n && p[i] != ',') {
            if ((unsigned char)p[i] < 0x20)
                return SIO_E_NSP;
            i++;
        }
        /* Names are echoed in errors and compared as text: UTF-8 only. */
        if (!sio_utf8_valid((const unsigned char *)p + start, i - start))
            return SIO_E_NSP;
        out->nsp = p + start;
        out->nsp_len = i - start;
        if (i < n)
            i++; /* the ',' */
    }

    if (i < n && p[i] >= '0' && p[i] <= '9') {
        size_t start = i;
        int64_t id = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (i - start >= 16)
                return SIO_E_ACK_ID;
            id = id * 10 + (p[i++] - '0');
        }
        if (id > SIO_MAX_ACK_ID)
            return SIO_E_ACK_ID;
        out->id = id;
    }

    if (i < n) {
        out->data = p + i;
        out->data_len = n - i;
    }
    return sio_packet_check(out, lim);
}

int sio_packet_check(sio_packet *pkt, const sio_codec_limits *lim)
{
    if (pkt->data) {
        int rc = json_parse(&pkt->json, pkt->data, pkt->data_len, &lim->json);
        if (rc != JSON_OK)
            return rc == JSON_E_NOMEM ? SIO_E_NOMEM : SIO_E_PAYLOAD;
    }
    int rc = check_shape(pkt);
    if (rc == SIO_DECODE_OK && (pkt->type == SIO_PKT_BINARY_EVENT || pkt->type == SIO_PKT_BINARY_ACK))
        rc = check_placeholders(&pkt->json, pkt->attachments);
    if (rc != SIO_DECODE_OK)
        sio_packet_free(pkt);
    return rc;
}

void sio_packet_free(sio_packet *pkt) { json_doc_free(&pkt->json); }

int sio_encode_header(sio_buf *b, sio_packet_type t, const char *nsp, int64_t id, unsigned attachments)
{
    int rc = sio_buf_putc(b, (unsigned char)('0' + t));
    if (t == SIO_PKT_BINARY_EVENT || t == SIO_PKT_BINARY_ACK) {
        rc |= sio_buf_put_i64(b, attachments);
        rc |= sio_buf_putc(b, '-');
    }
    if (nsp && strcmp(nsp, "/") != 0) {
        rc |= sio_buf_puts(b, nsp);
        rc |= sio_buf_putc(b, ',');
    }
    if (id >= 0)
        rc |= sio_buf_put_i64(b, id);
    return rc ? -1 : 0;
}

int sio_encode_event_payload(sio_buf *b, const char *event, const char *args_json, size_t args_len)
{
    int rc = sio_buf_putc(b, '[');
    rc |= json_write_string(b, event, strlen(event));
    if (args_json) {
        /* Splice the elements of the args array after the name. */
        size_t s = 0, e = args_len;
        while (s < e && args_json[s] != '[')
            s++;
        while (e > s && args_json[e - 1] != ']')
            e--;
        if (e > s + 1) {
            size_t k = s + 1;
            while (k < e - 1 && (args_json[k] == ' ' || args_json[k] == '\n' || args_json[k] == '\t' ||
                                 args_json[k] == '\r'))
                k++;
            if (k < e - 1) {
                rc |= sio_buf_putc(b, ',');
                rc |= sio_buf_append(b, args_json + s + 1, e - s - 2);
            }
        }
    }
    rc |= sio_buf_putc(b, ']');
    return rc ? -1 : 0;
}
