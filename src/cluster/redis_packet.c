/* An event as the core holds it (name, JSON arguments, attachments) and the
 * packet Node's adapter passes between servers, whose data is the whole
 * ["event", ...args] array with the binaries in place. The event name holds
 * no placeholder, so the attachments keep their numbers either way. */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_node.h"
#include "util/json.h"

/* The text between the outer brackets of a JSON array, trimmed; *len 0
 * when the array is empty. */
static const char *array_inner(const char *text, size_t *len)
{
    const char *open = strchr(text, '[');
    const char *close = strrchr(text, ']');
    if (!open || !close || close < open)
        return NULL;
    const char *s = open + 1;
    while (s < close && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    *len = (size_t)(close - s);
    return s;
}

int sio_redis_packet_make(const char *nsp, const sio_adapter_packet *p, sio_buf *json, sio_redis_bin **bins,
                      sio_redis_packet *out)
{
    *bins = NULL;
    size_t inner_len = 0;
    const char *inner = p->args_json ? array_inner(p->args_json, &inner_len) : "";
    if (!inner)
        return SIO_EINVAL;
    if (sio_buf_putc(json, '[') || json_write_string(json, p->event, strlen(p->event)) ||
        (inner_len && (sio_buf_putc(json, ',') || sio_buf_append(json, inner, inner_len))) ||
        sio_buf_putc(json, ']') || sio_buf_putc(json, 0))
        return SIO_ENOMEM;
    if (p->nbins && !(*bins = calloc(p->nbins, sizeof(**bins))))
        return SIO_ENOMEM;
    for (size_t i = 0; i < p->nbins; i++)
        (*bins)[i] = (sio_redis_bin){(unsigned char *)p->bins[i].data, p->bins[i].len};
    *out = (sio_redis_packet){
        .type = 2,
        .nsp = (char *)nsp,
        .data = {(char *)json->data, json->len - 1, *bins, p->nbins},
    };
    return SIO_OK;
}

int sio_redis_event_read(const sio_redis_value *data, redis_event *out)
{
    memset(out, 0, sizeof(*out));
    sio_buf_init(&out->args, 0);
    if (!data->json)
        return SIO_EINVAL;
    json_doc d;
    int rc = json_parse(&d, data->json, data->json_len, NULL);
    if (rc != JSON_OK)
        return rc == JSON_E_NOMEM ? SIO_ENOMEM : SIO_EINVAL;
    rc = SIO_EINVAL;
    int first = json_array_get(&d, 0, 0);
    if (json_type_of(&d, 0) != JSON_ARRAY || first < 0 || json_type_of(&d, first) != JSON_STRING)
        goto done;
    rc = SIO_ENOMEM;
    sio_buf name;
    sio_buf_init(&name, 0);
    bool ok = json_string_decode(&d, first, &name) == 0 && sio_buf_putc(&name, 0) == 0;
    out->event = ok ? (char *)name.mem : NULL; /* headroom 0: the allocation */
    if (!ok) {
        sio_buf_free(&name);
        goto done;
    }
    int second = json_array_get(&d, 0, 1);
    const char *whole, *from;
    size_t whole_len, ignored;
    json_value_span(&d, 0, &whole, &whole_len);
    if (second < 0) {
        if (sio_buf_puts(&out->args, "[]") || sio_buf_putc(&out->args, 0))
            goto done;
    } else {
        json_value_span(&d, second, &from, &ignored);
        if (sio_buf_putc(&out->args, '[') ||
            sio_buf_append(&out->args, from, (size_t)(whole + whole_len - from)) || sio_buf_putc(&out->args, 0))
            goto done;
    }
    if (data->nbins && !(out->bins = calloc(data->nbins, sizeof(*out->bins))))
        goto done;
    for (size_t i = 0; i < data->nbins; i++)
        out->bins[i] = (sio_binary){data->bins[i].data, data->bins[i].len};
    out->p = (sio_adapter_packet){out->event, (const char *)out->args.data, out->bins, data->nbins};
    rc = SIO_OK;
done:
    json_doc_free(&d);
    return rc;
}

void sio_redis_event_free(redis_event *e)
{
    free(e->event);
    free(e->bins);
    sio_buf_free(&e->args);
    memset(e, 0, sizeof(*e));
}
