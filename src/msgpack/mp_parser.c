/* The msgpack parser (see mp_parser.h): packets as socket.io-msgpack-parser
 * 3.0.2 writes and checks them, converted to and from the core's form
 * (JSON text with placeholders, and attachments) by mp_value.c. */
#include "msgpack/mp_parser.h"

#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack/mp_unpack.h"
#include "msgpack/mp_value.h"
#include "util/utf8.h"

/* ---- encoding ---- */

static int pack_key(msgpack_packer *pk, const char *key)
{
    return sio_mp_pack_str(pk, key);
}

/* The packet's data as JSON text in `json` (EVENT: ["event", ...args]). */
static int data_json(const sio_out_packet *p, sio_buf *json)
{
    if (p->type == SIO_PKT_EVENT)
        return sio_encode_event_payload(json, p->event, p->data, p->data ? p->data_len : 0);
    if (p->data)
        return sio_buf_append(json, p->data, p->data_len);
    return sio_buf_puts(json, "[]"); /* an ACK without a reply */
}

static int pack_data(msgpack_packer *pk, const sio_out_packet *p)
{
    sio_buf json;
    sio_buf_init(&json, 0);
    /* The application's binaries are only read: the cast is for the shared
     * value type, which owns its memory when it is decoded. */
    sio_mp_bin *bins = p->nbins ? calloc(p->nbins, sizeof(*bins)) : NULL;
    int rc = SIO_ENOMEM;
    if ((p->nbins && !bins) || data_json(p, &json))
        goto out;
    for (size_t i = 0; i < p->nbins; i++)
        bins[i] = (sio_mp_bin){(unsigned char *)p->bins[i].data, p->bins[i].len};
    sio_mp_value v = {(char *)json.data, json.len, bins, p->nbins};
    switch (sio_mp_pack_value(pk, &v)) {
    case SIO_MP_OK: rc = SIO_OK; break;
    case SIO_MP_E_NOMEM: rc = SIO_ENOMEM; break;
    default: rc = SIO_EINVAL; break;
    }
out:
    free(bins);
    sio_buf_free(&json);
    return rc;
}

/* {type, data, nsp, id}: data when the type has it, id when there is one. */
static int encode(const sio_out_packet *p, sio_msg **out, sio_msg ***atts, size_t *natts)
{
    *out = NULL;
    *atts = NULL;
    *natts = 0;
    bool has_data = p->type == SIO_PKT_EVENT || p->type == SIO_PKT_ACK || p->data;
    bool has_id = p->id >= 0;
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    msgpack_packer pk;
    sio_mp_packer_init(&pk, &b);
    int rc = SIO_ENOMEM;
    if (msgpack_pack_map(&pk, 2 + (size_t)has_data + (size_t)has_id) || pack_key(&pk, "type") ||
        msgpack_pack_int(&pk, (int)p->type))
        goto fail;
    if (has_data && (pack_key(&pk, "data") || (rc = pack_data(&pk, p)) != SIO_OK))
        goto fail;
    rc = SIO_ENOMEM;
    if (pack_key(&pk, "nsp") || sio_mp_pack_str(&pk, p->nsp ? p->nsp : "/"))
        goto fail;
    if (has_id && (pack_key(&pk, "id") || msgpack_pack_int64(&pk, p->id)))
        goto fail;
    if (!(*out = sio_msg_from_buf(&b, true)))
        goto fail;
    sio_buf_free(&b);
    return SIO_OK;
fail:
    sio_buf_free(&b);
    return rc;
}

/* ---- decoding ---- */

static bool key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0;
}

/* A number that is an integer to JavaScript (Number.isInteger): integer
 * forms, and floats without a fraction within int64's range. */
static bool get_integer(const msgpack_object *o, int64_t *out)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return false;
        *out = (int64_t)o->via.u64;
        return true;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = o->via.i64;
        return true;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64) || floor(o->via.f64) != o->via.f64 || fabs(o->via.f64) >= 9.2e18)
            return false;
        *out = (int64_t)o->via.f64;
        return true;
    default:
        return false;
    }
}

/* Absent, or notepack's undefined: what the parser reads as undefined. */
static bool is_undefined(const msgpack_object *o)
{
    return !o || sio_mp_is_undefined(o);
}

/* The data as JSON text owned by d, its binaries as d's attachments. */
static int take_data(sio_decoder *d, const msgpack_object *data, const sio_codec_limits *lim)
{
    sio_buf json;
    sio_buf_init(&json, 0);
    sio_mp_bin *bins = NULL;
    size_t nbins = 0;
    int mp = sio_mp_json_from_object(data, &json, &bins, &nbins);
    int rc = mp == SIO_MP_OK ? SIO_DECODE_OK : mp == SIO_MP_E_NOMEM ? SIO_E_NOMEM : SIO_E_PAYLOAD;
    /* The same bound as the attachments of the JSON parser's packets. */
    if (rc == SIO_DECODE_OK && nbins > lim->max_attachments)
        rc = SIO_E_ATTACHMENTS;
    else if (rc == SIO_DECODE_OK && nbins && !(d->bins = calloc(nbins, sizeof(*d->bins))))
        rc = SIO_E_NOMEM;
    if (rc != SIO_DECODE_OK) {
        for (size_t i = 0; i < nbins; i++)
            free(bins[i].data);
        free(bins);
        sio_buf_free(&json);
        return rc;
    }
    for (size_t i = 0; i < nbins; i++) /* taken over as they are (no headroom) */
        d->bins[i] = (sio_buf){bins[i].data, bins[i].data, bins[i].len, bins[i].len, 0};
    free(bins);
    d->n_bins = (unsigned)nbins;
    d->text = (char *)json.data;
    d->text_len = json.len;
    return SIO_DECODE_OK;
}

/* Checks what socket.io-msgpack-parser's checkPacket checks (type an
 * integer 0-4, nsp a string, id undefined or an integer), then the data as
 * the JSON parser's packets are checked (sio_packet_check). */
static int read_packet(sio_decoder *d, const msgpack_object *o, const sio_codec_limits *lim, sio_packet *out)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIO_E_TYPE;
    const msgpack_object *type = NULL, *nsp = NULL, *data = NULL, *id = NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) { /* the last of a repeated key, as in JavaScript */
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (key_is(&kv->key, "type"))
            type = &kv->val;
        else if (key_is(&kv->key, "nsp"))
            nsp = &kv->val;
        else if (key_is(&kv->key, "data"))
            data = &kv->val;
        else if (key_is(&kv->key, "id"))
            id = &kv->val;
    }
    int64_t t;
    if (!type || !get_integer(type, &t) || t < SIO_PKT_CONNECT || t > SIO_PKT_CONNECT_ERROR)
        return SIO_E_TYPE;
    out->type = (sio_packet_type)t;
    if (!nsp || nsp->type != MSGPACK_OBJECT_STR)
        return SIO_E_NSP;
    for (uint32_t i = 0; i < nsp->via.str.size; i++)
        if ((unsigned char)nsp->via.str.ptr[i] < 0x20)
            return SIO_E_NSP;
    if (!sio_utf8_valid((const unsigned char *)nsp->via.str.ptr, nsp->via.str.size))
        return SIO_E_NSP;
    if (nsp->via.str.size) { /* "" is read as "/", as the JSON parser reads no namespace */
        out->nsp = nsp->via.str.ptr;
        out->nsp_len = nsp->via.str.size;
    }
    if (!is_undefined(id)) {
        int64_t v;
        if (!get_integer(id, &v) || v < 0 || v > SIO_MAX_ACK_ID)
            return SIO_E_ACK_ID;
        out->id = v;
    }
    if (!is_undefined(data)) {
        int rc = take_data(d, data, lim);
        if (rc != SIO_DECODE_OK)
            return rc;
        out->data = d->text;
        out->data_len = d->text_len;
        out->attachments = d->n_bins;
        if (d->n_bins && out->type == SIO_PKT_EVENT)
            out->type = SIO_PKT_BINARY_EVENT;
        else if (d->n_bins && out->type == SIO_PKT_ACK)
            out->type = SIO_PKT_BINARY_ACK;
    }
    return sio_packet_check(out, lim);
}

static int decode(sio_decoder *d, const unsigned char *p, size_t n, bool binary, const sio_codec_limits *lim,
                  sio_packet *out)
{
    memset(out, 0, sizeof(*out));
    out->id = -1;
    out->nsp = "/";
    out->nsp_len = 1;
    if (!binary)
        return SIO_E_MESSAGE;
    /* No more elements than the JSON parser takes tokens: the objects
     * msgpack-c builds stay within a bound whatever the message's size. */
    msgpack_unpacked u;
    int rc = sio_mp_unpack_max(p, n, (size_t)lim->json.max_tokens, &u);
    if (rc == SIO_MP_OK)
        rc = read_packet(d, &u.data, lim, out);
    else
        rc = rc == SIO_MP_E_NOMEM ? SIO_E_NOMEM : SIO_E_PAYLOAD;
    msgpack_unpacked_destroy(&u);
    return rc == SIO_DECODE_OK ? SIO_PARSE_PACKET : rc;
}

const sio_parser sio_parser_msgpack = {"msgpack", encode, decode};
