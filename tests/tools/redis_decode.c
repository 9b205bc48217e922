/* redis-decode KIND FILE...: decodes each file with the Redis codec
 * (cluster/redis_codec.h) as a broadcast, request or response (KIND) and
 * prints one JSON line per file: the decoded fields, or {"error": "..."}.
 * tests/interop/cluster_capture.test.mjs feeds it what a live Node node
 * published through Redis and compares with what Node itself reads there. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_codec.h"
#include "util/buf.h"
#include "util/json.h"

static sio_buf out;

static void s(const char *text) { sio_buf_puts(&out, text); }
static void str(const char *v) { json_write_string(&out, v, strlen(v)); }
static void key(const char *k) { s(",\""); s(k); s("\":"); }
static void num(unsigned long long v) { char t[32]; snprintf(t, sizeof(t), "%llu", v); s(t); }

static void strs(const sio_redis_strs *l)
{
    s("[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            s(",");
        str(l->v[i]);
    }
    s("]");
}

/* "NAME":json,"NAMEBins":["hex",...] */
static void value(const char *name, const sio_redis_value *v)
{
    if (!v->json)
        return;
    key(name);
    s(v->json);
    char k[64];
    snprintf(k, sizeof(k), "%sBins", name);
    key(k);
    s("[");
    for (size_t i = 0; i < v->nbins; i++) {
        s(i ? ",\"" : "\"");
        for (size_t b = 0; b < v->bins[i].len; b++) {
            char h[3];
            snprintf(h, sizeof(h), "%02x", v->bins[i].data[b]);
            s(h);
        }
        s("\"");
    }
    s("]");
}

static void opts(const sio_redis_opts *o)
{
    key("opts");
    s("{\"rooms\":");
    strs(&o->rooms);
    s(",\"except\":");
    strs(&o->except);
    if (o->has_flags) {
        const sio_redis_flags *f = &o->flags;
        const struct { const char *name; bool set; } flags[] = {
            {"volatile", f->is_volatile}, {"compress", f->compress}, {"local", f->local},
            {"broadcast", f->broadcast}, {"binary", f->binary}};
        s(",\"flags\":{");
        const char *sep = "";
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
            if (flags[i].set) {
                s(sep);
                s("\"");
                s(flags[i].name);
                s("\":true");
                sep = ",";
            }
        }
        if (f->has_timeout) {
            s(sep);
            s("\"timeout\":");
            num(f->timeout);
        }
        s("}");
    }
    s("}");
}

static void packet(const sio_redis_packet *p)
{
    key("packet");
    s("{\"type\":");
    num((unsigned long long)p->type);
    key("nsp");
    str(p->nsp);
    value("data", &p->data);
    if (p->has_id) { key("id"); num((unsigned long long)p->id); }
    s("}");
}

static int broadcast(const void *p, size_t n)
{
    sio_redis_broadcast m;
    int rc = sio_redis_broadcast_decode(p, n, &m);
    if (rc == SIO_REDIS_OK) {
        s("{\"kind\":\"broadcast\"");
        key("uid");
        str(m.uid);
        packet(&m.packet);
        opts(&m.opts);
        s("}");
    }
    sio_redis_broadcast_free(&m);
    return rc;
}

static int request(const void *p, size_t n)
{
    sio_redis_request r;
    int rc = sio_redis_request_decode(p, n, &r);
    if (rc == SIO_REDIS_OK) {
        s("{\"kind\":\"request\"");
        key("type");
        num(r.type);
        if (r.uid) { key("uid"); str(r.uid); }
        if (r.request_id) { key("requestId"); str(r.request_id); }
        if (r.has_opts) opts(&r.opts);
        if (r.rooms.n) { key("rooms"); strs(&r.rooms); }
        if (r.sid) { key("sid"); str(r.sid); }
        if (r.room) { key("room"); str(r.room); }
        if (r.type == SIO_REDIS_REMOTE_DISCONNECT) { key("close"); s(r.close ? "true" : "false"); }
        value("data", &r.data);
        if (r.type == SIO_REDIS_BROADCAST) packet(&r.packet);
        s("}");
    }
    sio_redis_request_free(&r);
    return rc;
}

static int response(const void *p, size_t n)
{
    sio_redis_response r;
    int rc = sio_redis_response_decode(p, n, &r);
    if (rc == SIO_REDIS_OK) {
        s("{\"kind\":\"response\"");
        if (r.has_type) { key("type"); num(r.type); }
        key("requestId");
        str(r.request_id);
        if (r.has_sockets) {
            key("sockets");
            if (r.nsockets == 0) {
                strs(&r.sids);
            } else {
                s("[");
                for (size_t i = 0; i < r.nsockets; i++) {
                    s(i ? ",{\"id\":" : "{\"id\":");
                    str(r.sockets[i].id);
                    key("rooms");
                    strs(&r.sockets[i].rooms);
                    value("handshake", &r.sockets[i].handshake);
                    value("data", &r.sockets[i].data);
                    s("}");
                }
                s("]");
            }
        }
        if (r.has_rooms) { key("rooms"); strs(&r.rooms); }
        if (r.has_type && r.type == SIO_REDIS_BROADCAST_CLIENT_COUNT) { key("clientCount"); num(r.client_count); }
        value("data", &r.data);
        s("}");
    }
    sio_redis_response_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    int (*decode)(const void *, size_t) = NULL;
    if (argc >= 2 && strcmp(argv[1], "broadcast") == 0) decode = broadcast;
    if (argc >= 2 && strcmp(argv[1], "request") == 0) decode = request;
    if (argc >= 2 && strcmp(argv[1], "response") == 0) decode = response;
    if (!decode) {
        fprintf(stderr, "usage: redis-decode broadcast|request|response FILE...\n");
        return 2;
    }
    sio_buf_init(&out, 0);
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) { perror(argv[i]); return 1; }
        sio_buf in;
        sio_buf_init(&in, 0);
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            sio_buf_append(&in, chunk, got);
        fclose(f);
        sio_buf_reset(&out);
        int rc = decode(in.data ? (const void *)in.data : "", in.len);
        if (rc != SIO_REDIS_OK) {
            sio_buf_reset(&out);
            s("{\"error\":");
            str(sio_redis_strerror(rc));
            s("}");
        }
        fwrite(out.data, 1, out.len, stdout);
        fputc('\n', stdout);
        sio_buf_free(&in);
    }
    sio_buf_free(&out);
    return 0;
}
