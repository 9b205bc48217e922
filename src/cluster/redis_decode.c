/* Decoders of the adapter's messages (see redis_codec.h). Every message is
 * read as MessagePack objects: a JSON request or response is first turned
 * into MessagePack, so that one reader serves both encodings. */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_codec.h"
#include "msgpack/mp_unpack.h"
#include "msgpack/mp_value.h"
#include "util/utf8.h"

/* ---- Reading objects ---- */

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* A C string copy of a str object: UTF-8 without NUL bytes. */
static int dup_str(const msgpack_object *o, char **out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return SIO_REDIS_E_SHAPE;
    const char *s = o->via.str.ptr;
    size_t n = o->via.str.size;
    if (memchr(s, 0, n) || !sio_utf8_valid((const unsigned char *)s, n))
        return SIO_REDIS_E_VALUE;
    char *copy = malloc(n + 1);
    if (!copy)
        return SIO_REDIS_E_NOMEM;
    memcpy(copy, s, n);
    copy[n] = 0;
    *out = copy;
    return SIO_REDIS_OK;
}

/* An optional string field: absent or nil leaves *out NULL. */
static int opt_str(const msgpack_object *map, const char *key, char **out)
{
    const msgpack_object *o = map_get(map, key);
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return SIO_REDIS_OK;
    return dup_str(o, out);
}

static bool get_uint(const msgpack_object *o, uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *out = o->via.u64;
        return true;
    }
    if ((o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32) && o->via.f64 >= 0 &&
        o->via.f64 < 18446744073709551616.0) {
        *out = (uint64_t)o->via.f64;
        return true;
    }
    return false;
}

static void strs_free(sio_redis_strs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* A list of rooms: strings, or numbers as JavaScript would write them as
 * keys (rooms may be numbers in Node). Absent or nil is empty. */
static int get_strs(const msgpack_object *o, sio_redis_strs *out)
{
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return SIO_REDIS_OK;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return SIO_REDIS_E_SHAPE;
    uint32_t n = o->via.array.size;
    if (n == 0)
        return SIO_REDIS_OK;
    out->v = calloc(n, sizeof(*out->v));
    if (!out->v)
        return SIO_REDIS_E_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        int rc;
        if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER || e->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            char text[24];
            if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                snprintf(text, sizeof(text), "%llu", (unsigned long long)e->via.u64);
            else
                snprintf(text, sizeof(text), "%lld", (long long)e->via.i64);
            out->v[i] = strdup(text);
            rc = out->v[i] ? SIO_REDIS_OK : SIO_REDIS_E_NOMEM;
        } else {
            rc = dup_str(e, &out->v[i]);
        }
        out->n = i + 1;
        if (rc)
            return rc;
    }
    return SIO_REDIS_OK;
}

/* Flags as JavaScript reads them: a flag is set by true (other values of
 * other types are taken as unset); timeout is a number of milliseconds. */
static void get_flags(const msgpack_object *o, sio_redis_flags *f)
{
    static const struct {
        const char *key;
        size_t off;
    } bools[] = {
        {"volatile", offsetof(sio_redis_flags, is_volatile)}, {"compress", offsetof(sio_redis_flags, compress)},
        {"local", offsetof(sio_redis_flags, local)},          {"broadcast", offsetof(sio_redis_flags, broadcast)},
        {"binary", offsetof(sio_redis_flags, binary)},
    };
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        const msgpack_object *v = map_get(o, bools[i].key);
        *(bool *)((char *)f + bools[i].off) = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
    }
    const msgpack_object *t = map_get(o, "timeout");
    f->has_timeout = t && get_uint(t, &f->timeout);
}

static void opts_free(sio_redis_opts *o)
{
    strs_free(&o->rooms);
    strs_free(&o->except);
}

static int get_opts(const msgpack_object *o, sio_redis_opts *out)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIO_REDIS_E_SHAPE;
    int rc;
    if ((rc = get_strs(map_get(o, "rooms"), &out->rooms)) || (rc = get_strs(map_get(o, "except"), &out->except)))
        return rc;
    const msgpack_object *flags = map_get(o, "flags");
    if (flags && flags->type == MSGPACK_OBJECT_MAP) {
        out->has_flags = true;
        get_flags(flags, &out->flags);
    }
    return SIO_REDIS_OK;
}

/* An optional value: absent leaves it absent. */
static int opt_value(const msgpack_object *map, const char *key, sio_redis_value *out)
{
    const msgpack_object *o = map_get(map, key);
    return o ? sio_mp_value_from_object(o, out) : SIO_REDIS_OK;
}

static void packet_free(sio_redis_packet *p)
{
    free(p->nsp);
    sio_mp_value_free(&p->data);
    memset(p, 0, sizeof(*p));
}

static int get_packet(const msgpack_object *o, sio_redis_packet *out)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIO_REDIS_E_SHAPE;
    const msgpack_object *type = map_get(o, "type");
    uint64_t t;
    if (!type || !get_uint(type, &t) || t > 6)
        return SIO_REDIS_E_SHAPE;
    out->type = (int)t;
    int rc;
    if ((rc = opt_str(o, "nsp", &out->nsp)))
        return rc;
    if (!out->nsp && !(out->nsp = strdup("/")))
        return SIO_REDIS_E_NOMEM;
    if ((rc = opt_value(o, "data", &out->data)))
        return rc;
    const msgpack_object *id = map_get(o, "id");
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER && id->via.u64 <= INT64_MAX) {
        out->has_id = true;
        out->id = (int64_t)id->via.u64;
    }
    return SIO_REDIS_OK;
}

/* ---- Input ---- */

/* Unpacks a message: MessagePack, or JSON when `json_ok` and the first
 * byte is '{' (converted to MessagePack into *scratch, which then holds the
 * bytes the objects point into). */
static int unpack(const void *p, size_t n, bool json_ok, sio_buf *scratch, msgpack_unpacked *u)
{
    msgpack_unpacked_init(u);
    if (json_ok && n > 0 && *(const unsigned char *)p == '{') {
        sio_redis_value v = {.json = (char *)p, .json_len = n};
        msgpack_packer pk;
        sio_mp_packer_init(&pk, scratch);
        int rc = sio_mp_pack_value(&pk, &v);
        if (rc)
            return rc;
        p = scratch->data;
        n = scratch->len;
    }
    return sio_mp_unpack(p, n, u);
}

/* Decodes one message: unpacks it, zeroes *out and fills it with `from`;
 * on failure releases what was filled with `release`, leaving it zeroed. */
static int decode(const void *p, size_t n, bool json_ok, int (*from)(const msgpack_object *, void *), void *out,
                  size_t size, void (*release)(void *))
{
    memset(out, 0, size);
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    msgpack_unpacked u;
    int rc = unpack(p, n, json_ok, &scratch, &u);
    if (rc == SIO_REDIS_OK)
        rc = from(&u.data, out);
    msgpack_unpacked_destroy(&u);
    sio_buf_free(&scratch);
    if (rc)
        release(out);
    return rc;
}

/* ---- Broadcasts ---- */

void sio_redis_broadcast_free(sio_redis_broadcast *m)
{
    free(m->uid);
    packet_free(&m->packet);
    opts_free(&m->opts);
    memset(m, 0, sizeof(*m));
}

static void broadcast_release(void *m)
{
    sio_redis_broadcast_free(m);
}

static int broadcast_from(const msgpack_object *o, void *out)
{
    sio_redis_broadcast *m = out;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3)
        return SIO_REDIS_E_SHAPE;
    const msgpack_object *a = o->via.array.ptr;
    int rc;
    if ((rc = dup_str(&a[0], &m->uid)) || (rc = get_packet(&a[1], &m->packet)) || (rc = get_opts(&a[2], &m->opts)))
        return rc;
    m->opts.has_flags = true; /* a broadcast's flags are there, if only empty */
    return SIO_REDIS_OK;
}

int sio_redis_broadcast_decode(const void *p, size_t n, sio_redis_broadcast *out)
{
    return decode(p, n, false, broadcast_from, out, sizeof(*out), broadcast_release);
}

/* ---- Requests ---- */

void sio_redis_request_free(sio_redis_request *r)
{
    free(r->uid);
    free(r->request_id);
    opts_free(&r->opts);
    strs_free(&r->rooms);
    free(r->sid);
    free(r->room);
    sio_mp_value_free(&r->data);
    packet_free(&r->packet);
    memset(r, 0, sizeof(*r));
}

static void request_release(void *r)
{
    sio_redis_request_free(r);
}

static int request_from(const msgpack_object *o, void *out)
{
    sio_redis_request *r = out;
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIO_REDIS_E_SHAPE;
    const msgpack_object *type = map_get(o, "type");
    uint64_t t;
    if (!type || !get_uint(type, &t) || t > SIO_REDIS_BROADCAST_ACK)
        return SIO_REDIS_E_SHAPE;
    r->type = (sio_redis_type)t;
    int rc;
    if ((rc = opt_str(o, "uid", &r->uid)) || (rc = opt_str(o, "requestId", &r->request_id)) ||
        (rc = get_strs(map_get(o, "rooms"), &r->rooms)) || (rc = opt_str(o, "sid", &r->sid)) ||
        (rc = opt_str(o, "room", &r->room)) || (rc = opt_value(o, "data", &r->data)))
        return rc;
    const msgpack_object *opts = map_get(o, "opts");
    if (opts && opts->type != MSGPACK_OBJECT_NIL) {
        if ((rc = get_opts(opts, &r->opts)))
            return rc;
        r->has_opts = true;
    }
    const msgpack_object *close = map_get(o, "close");
    r->close = close && close->type == MSGPACK_OBJECT_BOOLEAN && close->via.boolean;
    const msgpack_object *packet = map_get(o, "packet");
    if (r->type == SIO_REDIS_BROADCAST) {
        if (!packet || !r->has_opts)
            return SIO_REDIS_E_SHAPE;
        if ((rc = get_packet(packet, &r->packet)))
            return rc;
    }
    return SIO_REDIS_OK;
}

int sio_redis_request_decode(const void *p, size_t n, sio_redis_request *out)
{
    return decode(p, n, true, request_from, out, sizeof(*out), request_release);
}

/* ---- Responses ---- */

static void socket_free(sio_redis_socket *s)
{
    free(s->id);
    sio_mp_value_free(&s->handshake);
    strs_free(&s->rooms);
    sio_mp_value_free(&s->data);
}

void sio_redis_response_free(sio_redis_response *r)
{
    free(r->request_id);
    strs_free(&r->sids);
    for (size_t i = 0; i < r->nsockets; i++)
        socket_free(&r->sockets[i]);
    free(r->sockets);
    strs_free(&r->rooms);
    sio_mp_value_free(&r->data);
    memset(r, 0, sizeof(*r));
}

static int socket_from(const msgpack_object *o, sio_redis_socket *s)
{
    const msgpack_object *id = map_get(o, "id");
    int rc;
    if (!id)
        return SIO_REDIS_E_SHAPE;
    if ((rc = dup_str(id, &s->id)) || (rc = opt_value(o, "handshake", &s->handshake)) ||
        (rc = get_strs(map_get(o, "rooms"), &s->rooms)) || (rc = opt_value(o, "data", &s->data)))
        return rc;
    return SIO_REDIS_OK;
}

/* "sockets": socket ids (the answer to SOCKETS) or socket objects (the
 * answer to REMOTE_FETCH), not a mix. */
static int sockets_from(const msgpack_object *o, sio_redis_response *r)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return SIO_REDIS_OK; /* Node counts the answer and adds nothing */
    r->has_sockets = true;
    uint32_t n = o->via.array.size;
    if (n == 0)
        return SIO_REDIS_OK;
    if (o->via.array.ptr[0].type == MSGPACK_OBJECT_STR)
        return get_strs(o, &r->sids);
    r->sockets = calloc(n, sizeof(*r->sockets));
    if (!r->sockets)
        return SIO_REDIS_E_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_MAP)
            return SIO_REDIS_E_SHAPE;
        r->nsockets = i + 1;
        int rc = socket_from(e, &r->sockets[i]);
        if (rc)
            return rc;
    }
    return SIO_REDIS_OK;
}

static void response_release(void *r)
{
    sio_redis_response_free(r);
}

static int response_from(const msgpack_object *o, void *out)
{
    sio_redis_response *r = out;
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIO_REDIS_E_SHAPE;
    const msgpack_object *type = map_get(o, "type");
    uint64_t t;
    if (type) {
        if (!get_uint(type, &t) || t > SIO_REDIS_BROADCAST_ACK)
            return SIO_REDIS_E_SHAPE;
        r->has_type = true;
        r->type = (sio_redis_type)t;
    }
    int rc;
    const msgpack_object *id = map_get(o, "requestId");
    if (!id)
        return SIO_REDIS_E_SHAPE;
    if ((rc = dup_str(id, &r->request_id)))
        return rc;
    const msgpack_object *sockets = map_get(o, "sockets");
    if (sockets && (rc = sockets_from(sockets, r)))
        return rc;
    const msgpack_object *rooms = map_get(o, "rooms");
    if (rooms && rooms->type == MSGPACK_OBJECT_ARRAY) {
        r->has_rooms = true;
        if ((rc = get_strs(rooms, &r->rooms)))
            return rc;
    }
    const msgpack_object *count = map_get(o, "clientCount");
    if (count && !get_uint(count, &r->client_count))
        return SIO_REDIS_E_SHAPE;
    bool ack = r->has_type && r->type == SIO_REDIS_BROADCAST_ACK;
    return opt_value(o, ack ? "packet" : "data", &r->data);
}

int sio_redis_response_decode(const void *p, size_t n, sio_redis_response *out)
{
    return decode(p, n, true, response_from, out, sizeof(*out), response_release);
}
