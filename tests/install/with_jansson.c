/* A program that uses jansson and libsio together. Both have a function
 * that reads an object member: jansson's public json_object_get, and
 * libsio's internal one (under sio_json_get). The program calls both and
 * checks each answers for its own library; it fails to link, crashes or
 * prints a wrong answer if libsio's internal name leaks out of libsio. It
 * also starts a server on a free port and stops it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sio.h"
#include "sio_json.h"

int main(void)
{
    json_t *obj = json_pack("{s:i,s:s}", "answer", 42, "name", "jansson");
    json_t *answer = json_object_get(obj, "answer");
    if (!answer || json_integer_value(answer) != 42) {
        fprintf(stderr, "jansson's json_object_get gave a wrong answer\n");
        return 1;
    }

    const char *text = "{\"answer\":43,\"name\":\"libsio\"}";
    sio_json *doc = sio_json_parse(text, strlen(text), NULL);
    int64_t v = 0;
    char name[16];
    if (!doc || !sio_json_int(sio_json_get(sio_json_root(doc), "answer"), &v) || v != 43 ||
        sio_json_string(sio_json_get(sio_json_root(doc), "name"), name, sizeof(name)) != 6) {
        fprintf(stderr, "libsio's sio_json_get gave a wrong answer\n");
        return 1;
    }

    sio_options o;
    sio_options_init(&o);
    o.port = 0;
    o.bind_addr = "127.0.0.1";
    sio_server *srv;
    char why[256];
    if (sio_server_create(&o, &srv, why, sizeof(why)) != SIO_OK) {
        fprintf(stderr, "sio_server_create: %s\n", why);
        return 1;
    }
    int port = sio_server_port(srv);
    sio_server_free(srv);

    printf("jansson %lld (%s), libsio %lld (%s) %s, a server on port %d\n",
           (long long)json_integer_value(answer), json_string_value(json_object_get(obj, "name")), (long long)v,
           name, sio_version(), port);
    sio_json_free(doc);
    json_decref(obj);
    return port > 0 ? 0 : 1;
}
