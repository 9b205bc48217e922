/* sio-echo's "/request" and its allow_request (namespaces.h): the
 * handshake's request as the application reads it.
 *   allow_request  refuses a handshake that carries an x-refuse header, with
 *                  the header's value as the message (403 {"code":4,...});
 *   middleware     refuses a socket whose x-api-key header is "bad", with
 *                  the message "bad key";
 *   on connection  emits "request" {address, url, apiKey (x-api-key),
 *                  sid (the cookie), userAgent, secure, time}. */
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"
#include "sio_json.h"

bool request_allow(const sio_request *req, const char **message, void *user)
{
    (void)user;
    const char *refuse = sio_request_header(req, "x-refuse");
    if (!refuse)
        return true;
    *message = refuse;
    return false;
}

static bool check_key(sio_socket *s, const char **message, const char **data_json, void *user)
{
    const char *key = sio_request_header(sio_socket_request(s), "x-api-key");
    if (key && strcmp(key, "bad") == 0) {
        *message = "bad key";
        return false;
    }
    return true;
}

static void on_request_connection(sio_socket *s, void *user)
{
    const sio_request *r = sio_socket_request(s);
    char *sid = sio_request_cookie(r, "sid");
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "address");
    sio_jw_string(w, sio_request_address(r));
    sio_jw_key(w, "url");
    sio_jw_string(w, sio_request_url(r));
    sio_jw_key(w, "apiKey");
    sio_jw_string(w, sio_request_header(r, "x-api-key")); /* null when absent */
    sio_jw_key(w, "sid");
    sio_jw_string(w, sid);
    sio_jw_key(w, "userAgent");
    sio_jw_string(w, sio_request_header(r, "user-agent"));
    sio_jw_key(w, "secure");
    sio_jw_bool(w, sio_request_secure(r));
    sio_jw_key(w, "time");
    sio_jw_int(w, sio_request_time(r));
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *args = sio_jw_text(w, NULL);
    if (args)
        sio_emit(s, "request", args);
    sio_jw_free(w);
    free(sid);
}

void request_install(sio_server *srv)
{
    sio_namespace *nsp = sio_of(srv, "/request");
    echo_setup(nsp);
    sio_use(nsp, check_key, NULL);
    sio_on_connection(nsp, on_request_connection, NULL);
}
