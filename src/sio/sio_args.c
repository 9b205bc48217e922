/* Event and ack arguments as the application sees them, and the dispatch
 * of incoming events and acks. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

struct sio_args {
    const json_doc *doc;
    int *items; /* token index of each argument */
    size_t n;
    const sio_buf *bins;
    unsigned n_bins;
    int array;          /* token of the whole array */
    const char *text;   /* the arguments as a JSON array, built on demand */
    size_t text_len;
    sio_buf text_buf;
};

struct sio_ack {
    sio_socket *s;
    int64_t id;
    bool in_callback, retained, answered;
};

/* Arguments are the elements of array token `arr` from index `first`. */
static int args_init(sio_args *a, const json_doc *d, int arr, size_t first, const sio_buf *bins,
                     unsigned n_bins)
{
    memset(a, 0, sizeof(*a));
    a->doc = d;
    a->array = arr;
    a->bins = bins;
    a->n_bins = n_bins;
    size_t total = (size_t)json_size(d, arr);
    a->n = total > first ? total - first : 0;
    sio_buf_init(&a->text_buf, 0);
    if (!a->n)
        return 0;
    a->items = malloc(a->n * sizeof(*a->items));
    if (!a->items)
        return -1;
    int tok = arr + 1;
    for (size_t i = 0; i < total; i++) {
        if (i >= first)
            a->items[i - first] = tok;
        tok = json_skip(d, tok);
    }
    return 0;
}

static void args_free(sio_args *a)
{
    free(a->items);
    sio_buf_free(&a->text_buf);
}

size_t sio_args_count(const sio_args *a) { return a ? a->n : 0; }

/* The attachment index if token t is a placeholder, else -1. */
static int placeholder_num(const sio_args *a, int t)
{
    if (!a->n_bins || json_type_of(a->doc, t) != JSON_OBJECT)
        return -1;
    int flag = json_object_get(a->doc, t, "_placeholder");
    int num = json_object_get(a->doc, t, "num");
    int64_t n;
    if (flag < 0 || json_type_of(a->doc, flag) != JSON_TRUE || num < 0 ||
        !json_get_int(a->doc, num, &n) || n < 0 || n >= a->n_bins)
        return -1;
    return (int)n;
}

sio_type sio_arg_type(const sio_args *a, size_t i)
{
    if (!a || i >= a->n)
        return SIO_T_NULL;
    int t = a->items[i];
    switch (json_type_of(a->doc, t)) {
    case JSON_OBJECT: return placeholder_num(a, t) >= 0 ? SIO_T_BINARY : SIO_T_OBJECT;
    case JSON_ARRAY: return SIO_T_ARRAY;
    case JSON_STRING: return SIO_T_STRING;
    case JSON_NUMBER: return SIO_T_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return SIO_T_BOOL;
    case JSON_NULL: return SIO_T_NULL;
    }
    return SIO_T_NULL;
}

const char *sio_arg_json(const sio_args *a, size_t i, size_t *len)
{
    if (!a || i >= a->n)
        return NULL;
    const char *p;
    json_value_span(a->doc, a->items[i], &p, len);
    return p;
}

char *sio_arg_string(const sio_args *a, size_t i)
{
    if (!a || i >= a->n || json_type_of(a->doc, a->items[i]) != JSON_STRING)
        return NULL;
    sio_buf b;
    sio_buf_init(&b, 0);
    if (json_string_decode(a->doc, a->items[i], &b) || sio_buf_putc(&b, 0)) {
        sio_buf_free(&b);
        return NULL;
    }
    return (char *)b.mem; /* no headroom: data == mem */
}

bool sio_arg_int(const sio_args *a, size_t i, int64_t *out)
{
    return a && i < a->n && json_get_int(a->doc, a->items[i], out);
}

bool sio_arg_double(const sio_args *a, size_t i, double *out)
{
    return a && i < a->n && json_get_double(a->doc, a->items[i], out);
}

bool sio_arg_bool(const sio_args *a, size_t i, bool *out)
{
    if (!a || i >= a->n)
        return false;
    json_type t = json_type_of(a->doc, a->items[i]);
    if (t != JSON_TRUE && t != JSON_FALSE)
        return false;
    *out = t == JSON_TRUE;
    return true;
}

const void *sio_arg_binary(const sio_args *a, size_t i, size_t *len)
{
    if (!a || i >= a->n)
        return NULL;
    int k = placeholder_num(a, a->items[i]);
    if (k < 0)
        return NULL;
    *len = a->bins[k].len;
    return a->bins[k].data ? a->bins[k].data : (const void *)"";
}

const char *sio_args_json(const sio_args *a, size_t *len)
{
    sio_args *m = (sio_args *)a; /* the text is built once, on demand */
    if (!m->text) {
        sio_buf_reset(&m->text_buf);
        int rc = sio_buf_putc(&m->text_buf, '[');
        for (size_t i = 0; i < m->n; i++) {
            size_t l;
            const char *p = sio_arg_json(m, i, &l);
            if (i)
                rc |= sio_buf_putc(&m->text_buf, ',');
            rc |= sio_buf_append(&m->text_buf, p, l);
        }
        rc |= sio_buf_putc(&m->text_buf, ']');
        rc |= sio_buf_putc(&m->text_buf, 0);
        if (rc)
            return NULL;
        m->text = (const char *)m->text_buf.data;
        m->text_len = m->text_buf.len - 1;
    }
    if (len)
        *len = m->text_len;
    return m->text;
}

size_t sio_args_binary_count(const sio_args *a) { return a ? a->n_bins : 0; }

const void *sio_args_binary(const sio_args *a, size_t k, size_t *len)
{
    if (!a || k >= a->n_bins)
        return NULL;
    *len = a->bins[k].len;
    return a->bins[k].data ? a->bins[k].data : (const void *)"";
}

bool sio_args_is_array(const char *text, const json_limits *lim)
{
    json_doc d;
    if (json_parse(&d, text, strlen(text), lim) != JSON_OK)
        return false;
    bool array = json_type_of(&d, 0) == JSON_ARRAY;
    json_doc_free(&d);
    return array;
}

int sio_args_with_json(sio_server *srv, const char *json, size_t len,
                       void (*fn)(const sio_args *args, void *user), void *user)
{
    json_doc d;
    if (json_parse(&d, json, len, &srv->lim.json) != JSON_OK)
        return SIO_EINVAL;
    int rc = SIO_EINVAL;
    sio_args args;
    if (json_type_of(&d, 0) == JSON_ARRAY) {
        rc = args_init(&args, &d, 0, 0, NULL, 0) == 0 ? SIO_OK : SIO_ENOMEM;
        if (rc == SIO_OK)
            fn(&args, user);
        args_free(&args);
    }
    json_doc_free(&d);
    return rc;
}

/* --- acks the client asked for ---------------------------------------------------------- */

static void ack_free(sio_ack *ack)
{
    sio_socket_unref(ack->s);
    free(ack);
}

int sio_ack_send(sio_ack *ack, const char *args_json, const sio_binary *bins, size_t nbins)
{
    if (!ack)
        return SIO_EINVAL;
    if (ack->answered)
        return SIO_ESTATE;
    ack->answered = true;
    sio_socket *s = ack->s;
    int rc;
    if (s->state != SOCK_CONNECTED) {
        s->nsp->srv->stats.emits_after_close++;
        rc = SIO_ECLOSED;
    } else {
        sio_msg *m, **atts;
        size_t natts;
        rc = sio_encode_packet(s->nsp->srv, SIO_PKT_ACK, s->nsp->name, ack->id, NULL,
                               args_json ? args_json : "[]", bins, nbins, &m, &atts, &natts);
        if (rc == SIO_OK) {
            rc = sio_socket_deliver(s, m, atts, natts, false);
            sio_release_msgs(m, atts, natts);
        }
    }
    if (!ack->in_callback)
        ack_free(ack);
    return rc;
}

sio_ack *sio_ack_retain(sio_ack *ack)
{
    if (ack)
        ack->retained = true;
    return ack;
}

void sio_ack_discard(sio_ack *ack)
{
    if (!ack)
        return;
    if (ack->in_callback)
        ack->retained = false;
    else
        ack_free(ack);
}

/* --- dispatch ------------------------------------------------------------------------------ */

int sio_socket_use(sio_socket *s, sio_packet_middleware_cb cb, void *user)
{
    if (s->state == SOCK_DISCONNECTED)
        return SIO_ECLOSED;
    sio_packet_mw *v = realloc(s->pmw, (s->n_pmw + 1) * sizeof(*v));
    if (!v)
        return SIO_ENOMEM;
    s->pmw = v;
    s->pmw[s->n_pmw++] = (sio_packet_mw){cb, user};
    return SIO_OK;
}

/* Runs the socket's packet middlewares; false when one refused the event
 * (its ack, if any, is then answered with {"error": ...}). A middleware may
 * disconnect the socket: the others do not run then. */
static bool packet_middlewares_pass(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack)
{
    for (uint32_t i = 0; i < s->n_pmw; i++) {
        if (s->state != SOCK_CONNECTED)
            return false;
        const char *error = NULL;
        if (s->pmw[i].cb(s, event, args, &error, s->pmw[i].user))
            continue;
        if (ack) {
            sio_buf b;
            sio_buf_init(&b, 0);
            if (sio_buf_puts(&b, "[{\"error\":") == 0 &&
                json_write_string(&b, error ? error : "refused", strlen(error ? error : "refused")) == 0 &&
                sio_buf_puts(&b, "}]") == 0 && sio_buf_putc(&b, 0) == 0)
                sio_ack_send(ack, (const char *)b.data, NULL, 0);
            else
                sio_ack_discard(ack);
            sio_buf_free(&b);
        }
        return false;
    }
    return s->state == SOCK_CONNECTED;
}

void sio_dispatch_event(sio_socket *s, const sio_packet *pkt, sio_buf *bins, unsigned n_bins)
{
    sio_namespace *nsp = s->nsp;
    const json_doc *d = &pkt->json;
    sio_buf name;
    sio_buf_init(&name, 0);
    if (json_string_decode(d, 1, &name) || sio_buf_putc(&name, 0)) {
        sio_buf_free(&name);
        return;
    }
    const char *event = (const char *)name.data;
    nsp->counters.events_received++;
    sio_handler *h = strmap_get(&nsp->events, event, name.len - 1);
    if (!h && nsp->any.cb)
        h = &nsp->any;
    sio_args args;
    sio_ack *ack = NULL;
    bool observed = nsp->srv->n_observers != 0;
    if ((h || s->n_pmw || observed) && args_init(&args, d, 0, 1, bins, n_bins) == 0) {
        if (observed)
            sio_observe_event_in(s, event, &args);
        if (pkt->id >= 0 && (ack = calloc(1, sizeof(*ack)))) {
            ack->s = sio_socket_ref(s);
            ack->id = pkt->id;
            ack->in_callback = true;
        }
        sio_socket_ref(s); /* the handler may disconnect it */
        if (!packet_middlewares_pass(s, event, &args, ack))
            h = NULL;
        if (h)
            h->cb(s, event, &args, ack, h->user);
        if (ack) {
            ack->in_callback = false;
            if (!ack->retained || ack->answered)
                ack_free(ack);
        }
        sio_socket_unref(s);
        args_free(&args);
    }
    sio_buf_free(&name);
}

void sio_dispatch_ack(sio_socket *s, const sio_packet *pkt, sio_buf *bins, unsigned n_bins)
{
    sio_pending_ack *a = s->acks, **pp = &s->acks;
    while (a && a->id != pkt->id) {
        pp = &a->next;
        a = a->next;
    }
    if (!a)
        return; /* unknown or late: ignored, as socket.io does */
    *pp = a->next;
    timer_heap_cancel(&s->nsp->srv->timers, &a->timer);
    sio_args args;
    if (args_init(&args, &pkt->json, 0, 0, bins, n_bins) == 0) {
        a->cb(s, &args, 0, a->user);
        args_free(&args);
    } else {
        a->cb(s, NULL, SIO_ENOMEM, a->user);
    }
    sio_socket_unref(a->s);
    free(a);
}
