/* Encoders of the adapter's messages (see redis_codec.h). A message is
 * always packed as MessagePack first; when Node would send it as JSON, that
 * MessagePack is read back and written as JSON text, so that one writer
 * gives both encodings. Keys come in the order Node's objects have them. */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_codec.h"
#include "msgpack/mp_unpack.h"
#include "msgpack/mp_value.h"

/* Calls returning a sio_redis_err. */
#define TRY(call) \
    do { \
        int rc_ = (call); \
        if (rc_) \
            return rc_; \
    } while (0)

/* msgpack-c's pack functions return -1 only when the buffer cannot grow. */
#define PACK(call) \
    do { \
        if ((call) != 0) \
            return SIO_REDIS_E_NOMEM; \
    } while (0)

static int pack_strs(msgpack_packer *pk, const sio_redis_strs *l)
{
    PACK(msgpack_pack_array(pk, l->n));
    for (size_t i = 0; i < l->n; i++)
        PACK(sio_mp_pack_str(pk, l->v[i]));
    return SIO_REDIS_OK;
}

static int pack_key(msgpack_packer *pk, const char *key)
{
    PACK(sio_mp_pack_str(pk, key));
    return SIO_REDIS_OK;
}

static int pack_flags(msgpack_packer *pk, const sio_redis_flags *f)
{
    const struct {
        const char *key;
        bool set;
    } bools[] = {{"volatile", f->is_volatile}, {"compress", f->compress}, {"local", f->local},
                 {"broadcast", f->broadcast}, {"binary", f->binary}};
    size_t n = f->has_timeout;
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        n += bools[i].set;
    PACK(msgpack_pack_map(pk, n));
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        if (bools[i].set) {
            TRY(pack_key(pk, bools[i].key));
            PACK(msgpack_pack_true(pk));
        }
    }
    if (f->has_timeout) {
        TRY(pack_key(pk, "timeout"));
        PACK(msgpack_pack_uint64(pk, f->timeout));
    }
    return SIO_REDIS_OK;
}

/* {rooms, except[, flags]}: the shape of a broadcast's options. */
static int pack_opts(msgpack_packer *pk, const sio_redis_opts *o, bool with_flags)
{
    PACK(msgpack_pack_map(pk, with_flags ? 3 : 2));
    TRY(pack_key(pk, "rooms"));
    TRY(pack_strs(pk, &o->rooms));
    TRY(pack_key(pk, "except"));
    TRY(pack_strs(pk, &o->except));
    if (with_flags) {
        TRY(pack_key(pk, "flags"));
        TRY(pack_flags(pk, &o->flags));
    }
    return SIO_REDIS_OK;
}

static int pack_field_value(msgpack_packer *pk, const char *key, const sio_redis_value *v)
{
    TRY(pack_key(pk, key));
    return sio_mp_pack_value(pk, v);
}

/* {type, data, nsp[, id]}; an absent data is written as nil. */
static int pack_packet(msgpack_packer *pk, const sio_redis_packet *p)
{
    PACK(msgpack_pack_map(pk, 3 + p->has_id));
    TRY(pack_key(pk, "type"));
    PACK(msgpack_pack_int(pk, p->type));
    if (p->data.json) {
        TRY(pack_field_value(pk, "data", &p->data));
    } else {
        TRY(pack_key(pk, "data"));
        PACK(msgpack_pack_nil(pk));
    }
    TRY(pack_key(pk, "nsp"));
    PACK(sio_mp_pack_str(pk, p->nsp ? p->nsp : "/"));
    if (p->has_id) {
        TRY(pack_key(pk, "id"));
        PACK(msgpack_pack_int64(pk, p->id));
    }
    return SIO_REDIS_OK;
}

static int pack_str_field(msgpack_packer *pk, const char *key, const char *s)
{
    TRY(pack_key(pk, key));
    PACK(sio_mp_pack_str(pk, s));
    return SIO_REDIS_OK;
}

/* Appends `packed` to out as it is, or as JSON text. */
static int emit(const sio_buf *packed, bool as_json, sio_buf *out)
{
    if (!as_json)
        return sio_buf_append(out, packed->data, packed->len) ? SIO_REDIS_E_NOMEM : SIO_REDIS_OK;
    msgpack_unpacked u;
    int rc = sio_mp_unpack(packed->data, packed->len, &u);
    size_t orig = out->len;
    sio_redis_bin *bins = NULL;
    size_t nbins = 0;
    if (rc == SIO_REDIS_OK)
        rc = sio_mp_json_from_object(&u.data, out, &bins, &nbins);
    msgpack_unpacked_destroy(&u);
    for (size_t i = 0; i < nbins; i++)
        free(bins[i].data);
    free(bins);
    if (rc == SIO_REDIS_OK && nbins)
        rc = SIO_REDIS_E_VALUE; /* the caller chose JSON for a message with binary */
    if (rc)
        out->len = orig;
    return rc;
}

/* Packs with `pack` into a scratch buffer, then appends to out. */
static int encode(int (*pack)(msgpack_packer *, const void *), const void *m, bool as_json, sio_buf *out)
{
    sio_buf packed;
    sio_buf_init(&packed, 0);
    msgpack_packer pk;
    sio_mp_packer_init(&pk, &packed);
    int rc = pack(&pk, m);
    if (rc == SIO_REDIS_OK)
        rc = emit(&packed, as_json, out);
    sio_buf_free(&packed);
    return rc;
}

/* ---- Broadcasts ---- */

static int pack_broadcast(msgpack_packer *pk, const void *p)
{
    const sio_redis_broadcast *m = p;
    PACK(msgpack_pack_array(pk, 3));
    PACK(sio_mp_pack_str(pk, m->uid ? m->uid : ""));
    TRY(pack_packet(pk, &m->packet));
    return pack_opts(pk, &m->opts, true);
}

int sio_redis_broadcast_encode(const sio_redis_broadcast *m, sio_buf *out)
{
    return encode(pack_broadcast, m, false, out);
}

/* ---- Requests ---- */

static bool lists_rooms(const sio_redis_request *r)
{
    bool typed = r->type == SIO_REDIS_SOCKETS || r->type == SIO_REDIS_REMOTE_JOIN || r->type == SIO_REDIS_REMOTE_LEAVE;
    return typed && (r->rooms.n > 0 || !r->sid);
}

static int pack_request(msgpack_packer *pk, const void *p)
{
    const sio_redis_request *r = p;
    bool broadcast = r->type == SIO_REDIS_BROADCAST;
    size_t n = 1 + !!r->uid + !!r->request_id;
    if (broadcast) {
        n += 2;
    } else {
        n += !!r->sid + !!r->room + r->has_opts + lists_rooms(r) + (r->type == SIO_REDIS_REMOTE_DISCONNECT) +
             !!r->data.json;
    }
    PACK(msgpack_pack_map(pk, n));
    if (r->uid)
        TRY(pack_str_field(pk, "uid", r->uid));
    if (r->request_id)
        TRY(pack_str_field(pk, "requestId", r->request_id));
    TRY(pack_key(pk, "type"));
    PACK(msgpack_pack_int(pk, (int)r->type));
    if (broadcast) {
        TRY(pack_key(pk, "packet"));
        TRY(pack_packet(pk, &r->packet));
        TRY(pack_key(pk, "opts"));
        return pack_opts(pk, &r->opts, true);
    }
    if (r->sid)
        TRY(pack_str_field(pk, "sid", r->sid));
    if (r->room)
        TRY(pack_str_field(pk, "room", r->room));
    if (r->has_opts) {
        TRY(pack_key(pk, "opts"));
        TRY(pack_opts(pk, &r->opts, r->opts.has_flags));
    }
    if (lists_rooms(r)) {
        TRY(pack_key(pk, "rooms"));
        TRY(pack_strs(pk, &r->rooms));
    }
    if (r->type == SIO_REDIS_REMOTE_DISCONNECT) {
        TRY(pack_key(pk, "close"));
        PACK(r->close ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    }
    if (r->data.json)
        TRY(pack_field_value(pk, "data", &r->data));
    return SIO_REDIS_OK;
}

int sio_redis_request_encode(const sio_redis_request *r, sio_buf *out)
{
    bool binary = r->data.nbins > 0 || (r->type == SIO_REDIS_BROADCAST && r->packet.data.nbins > 0);
    return encode(pack_request, r, r->type != SIO_REDIS_BROADCAST && !binary, out);
}

/* ---- Responses ---- */

static int pack_socket(msgpack_packer *pk, const sio_redis_socket *s)
{
    PACK(msgpack_pack_map(pk, 3 + !!s->data.json));
    TRY(pack_str_field(pk, "id", s->id ? s->id : ""));
    TRY(pack_key(pk, "handshake"));
    if (s->handshake.json)
        TRY(sio_mp_pack_value(pk, &s->handshake));
    else
        PACK(msgpack_pack_map(pk, 0));
    TRY(pack_key(pk, "rooms"));
    TRY(pack_strs(pk, &s->rooms));
    if (s->data.json)
        TRY(pack_field_value(pk, "data", &s->data));
    return SIO_REDIS_OK;
}

static bool is_ack(const sio_redis_response *r)
{
    return r->has_type && r->type == SIO_REDIS_BROADCAST_ACK;
}

static int pack_response(msgpack_packer *pk, const void *p)
{
    const sio_redis_response *r = p;
    bool count = r->has_type && r->type == SIO_REDIS_BROADCAST_CLIENT_COUNT;
    size_t n = r->has_type + 1 + r->has_sockets + r->has_rooms + count + !!r->data.json;
    PACK(msgpack_pack_map(pk, n));
    if (r->has_type) {
        TRY(pack_key(pk, "type"));
        PACK(msgpack_pack_int(pk, (int)r->type));
    }
    TRY(pack_str_field(pk, "requestId", r->request_id ? r->request_id : ""));
    if (r->has_sockets) {
        TRY(pack_key(pk, "sockets"));
        if (r->nsockets == 0) {
            TRY(pack_strs(pk, &r->sids));
        } else {
            PACK(msgpack_pack_array(pk, r->nsockets));
            for (size_t i = 0; i < r->nsockets; i++)
                TRY(pack_socket(pk, &r->sockets[i]));
        }
    }
    if (r->has_rooms) {
        TRY(pack_key(pk, "rooms"));
        TRY(pack_strs(pk, &r->rooms));
    }
    if (count) {
        TRY(pack_key(pk, "clientCount"));
        PACK(msgpack_pack_uint64(pk, r->client_count));
    }
    if (r->data.json)
        TRY(pack_field_value(pk, is_ack(r) ? "packet" : "data", &r->data));
    return SIO_REDIS_OK;
}

static bool response_binary(const sio_redis_response *r)
{
    if (r->data.nbins)
        return true;
    for (size_t i = 0; i < r->nsockets; i++)
        if (r->sockets[i].handshake.nbins || r->sockets[i].data.nbins)
            return true;
    return false;
}

int sio_redis_response_encode(const sio_redis_response *r, sio_buf *out)
{
    return encode(pack_response, r, !is_ack(r) && !response_binary(r), out);
}
