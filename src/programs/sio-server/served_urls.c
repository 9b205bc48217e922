/* The startup log's URLs (served_urls.h). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "served_urls.h"

static char base[300];

void served_urls_init(const sio_options *o, int port)
{
    const char *host = o->bind_addr;
    /* Every interface: the URL that works on this machine. */
    if (!host || !host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        host = "localhost";
    bool v6 = strchr(host, ':') != NULL;
    snprintf(base, sizeof(base), "%s://%s%s%s:%d", o->tls_cert ? "https" : "http", v6 ? "[" : "", host,
             v6 ? "]" : "", port);
}

void served_url_log(const char *what, const char *path)
{
    logmsg(L_INFO, "%s: %s%s", what, base, path);
}
