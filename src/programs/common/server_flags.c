/* The common server flags (server_flags.h): one table, one usage text. */
#include "server_flags.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Values of the common flags: above any character a program's own flag
 * may use. */
enum {
    F_HOST = 1000,
    F_PORT,
    F_PATH,
    F_PING_INTERVAL,
    F_PING_TIMEOUT,
    F_UPGRADE_TIMEOUT,
    F_CONNECT_TIMEOUT,
    F_MAX_PAYLOAD,
    F_CORS_ORIGIN,
    F_CORS_CREDENTIALS,
    F_REQUEST_TIMEOUT,
    F_KEEP_ALIVE_TIMEOUT,
    F_MAX_CONNECTIONS,
    F_MAX_QUEUE_BYTES,
    F_MAX_TOTAL_QUEUE_BYTES,
    F_TRANSPORTS,
    F_NO_UPGRADES,
    F_NO_EIO3,
    F_TRUST_PROXY,
    F_KEEP_HEADER,
    F_CLEANUP_CHILDREN,
    F_PARSER,
    F_COOKIE,
    F_COOKIE_PATH,
    F_COOKIE_SAME_SITE,
    F_COOKIE_MAX_AGE,
    F_COOKIE_SECURE,
    F_NO_HTTP_COMPRESSION,
    F_HTTP_COMPRESSION_THRESHOLD,
    F_TLS_CERT,
    F_TLS_KEY,
    F_PER_MESSAGE_DEFLATE,
    F_DEFLATE_THRESHOLD,
    F_REDIS,
    F_REQUESTS_TIMEOUT,
    F_RECOVERY,
    F_RECOVERY_WINDOW,
    F_RECOVERY_RUN_MIDDLEWARES,
    F_RECOVERY_MAX_BYTES,
    F_HELP,
};

static const struct option common[] = {
    {"host", required_argument, 0, F_HOST},
    {"port", required_argument, 0, F_PORT},
    {"path", required_argument, 0, F_PATH},
    {"ping-interval", required_argument, 0, F_PING_INTERVAL},
    {"ping-timeout", required_argument, 0, F_PING_TIMEOUT},
    {"upgrade-timeout", required_argument, 0, F_UPGRADE_TIMEOUT},
    {"connect-timeout", required_argument, 0, F_CONNECT_TIMEOUT},
    {"max-payload", required_argument, 0, F_MAX_PAYLOAD},
    {"cors-origin", required_argument, 0, F_CORS_ORIGIN},
    {"cors-credentials", no_argument, 0, F_CORS_CREDENTIALS},
    {"request-timeout", required_argument, 0, F_REQUEST_TIMEOUT},
    {"keep-alive-timeout", required_argument, 0, F_KEEP_ALIVE_TIMEOUT},
    {"max-connections", required_argument, 0, F_MAX_CONNECTIONS},
    {"max-queue-bytes", required_argument, 0, F_MAX_QUEUE_BYTES},
    {"max-total-queue-bytes", required_argument, 0, F_MAX_TOTAL_QUEUE_BYTES},
    {"transports", required_argument, 0, F_TRANSPORTS},
    {"no-upgrades", no_argument, 0, F_NO_UPGRADES},
    {"no-eio3", no_argument, 0, F_NO_EIO3},
    {"trust-proxy", required_argument, 0, F_TRUST_PROXY},
    {"keep-header", required_argument, 0, F_KEEP_HEADER},
    {"cleanup-empty-child-namespaces", no_argument, 0, F_CLEANUP_CHILDREN},
    {"parser", required_argument, 0, F_PARSER},
    {"cookie", required_argument, 0, F_COOKIE},
    {"cookie-path", required_argument, 0, F_COOKIE_PATH},
    {"cookie-same-site", required_argument, 0, F_COOKIE_SAME_SITE},
    {"cookie-max-age", required_argument, 0, F_COOKIE_MAX_AGE},
    {"cookie-secure", no_argument, 0, F_COOKIE_SECURE},
    {"no-http-compression", no_argument, 0, F_NO_HTTP_COMPRESSION},
    {"http-compression-threshold", required_argument, 0, F_HTTP_COMPRESSION_THRESHOLD},
    {"tls-cert", required_argument, 0, F_TLS_CERT},
    {"tls-key", required_argument, 0, F_TLS_KEY},
    {"per-message-deflate", no_argument, 0, F_PER_MESSAGE_DEFLATE},
    {"per-message-deflate-threshold", required_argument, 0, F_DEFLATE_THRESHOLD},
    {"redis", required_argument, 0, F_REDIS},
    {"requests-timeout", required_argument, 0, F_REQUESTS_TIMEOUT},
    {"recovery", no_argument, 0, F_RECOVERY},
    {"recovery-window", required_argument, 0, F_RECOVERY_WINDOW},
    {"recovery-run-middlewares", no_argument, 0, F_RECOVERY_RUN_MIDDLEWARES},
    {"recovery-max-bytes", required_argument, 0, F_RECOVERY_MAX_BYTES},
    {"help", no_argument, 0, F_HELP},
};
#define N_COMMON (sizeof(common) / sizeof(common[0]))

/* The allowed origins, trusted proxies and headers to keep, for the life of
 * the process (the options point here). */
static const char **origins, **proxies, **headers;

/* Flags of the Socket.IO programs only. */
static bool sio_only(int val)
{
    return val == F_CONNECT_TIMEOUT || val == F_TRUST_PROXY || val == F_KEEP_HEADER || val == F_CLEANUP_CHILDREN ||
           val == F_PARSER || (val >= F_COOKIE && val <= F_DEFLATE_THRESHOLD) || val == F_REDIS || val == F_REQUESTS_TIMEOUT ||
           (val >= F_RECOVERY && val <= F_RECOVERY_MAX_BYTES);
}

static void usage(const server_flags *f, FILE *out, bool sio)
{
    fprintf(out, "usage: %s [options]\n", f->prog);
    if (f->about)
        fputs(f->about, out);
    fprintf(out,
            "  --host ADDR            address to listen on (default: all)\n"
            "  --port N               port (default 3000; 0 picks a free one)\n"
            "  --path PATH            %s path (default %s)\n"
            "  --ping-interval MS     default 25000\n"
            "  --ping-timeout MS      default 20000\n"
            "  --upgrade-timeout MS   default 10000\n",
            sio ? "Socket.IO" : "Engine.IO", sio ? "/socket.io/" : "/engine.io/");
    if (sio)
        fputs("  --connect-timeout MS   default 45000\n"
              "  --trust-proxy RANGE    believe X-Forwarded-For from this address or CIDR block\n"
              "                         (repeatable), for the client's address\n"
              "  --keep-header NAME     keep this request header of the handshake too (repeatable;\n"
              "                         the ones libwebsockets knows by name are always kept)\n"
              "  --cleanup-empty-child-namespaces  drop a dynamic namespace with its last socket\n"
              "  --parser NAME          default (socket.io-parser), or msgpack for clients made\n"
              "                         with socket.io-msgpack-parser (Node's parser option)\n"
              "  --cookie NAME          set a cookie NAME=<session id> on the handshake (engine.io's\n"
              "                         cookie option; \"io\" is Node's), for sticky load balancing\n"
              "  --cookie-path PATH     its Path, default /\n"
              "  --cookie-same-site V   Lax (default), Strict or None\n"
              "  --cookie-max-age S     its Max-Age in seconds (default: a session cookie)\n"
              "  --cookie-secure        mark it Secure\n"
              "  --no-http-compression  never compress polling responses (gzip or deflate otherwise)\n"
              "  --http-compression-threshold BYTES  compress responses from this size, default 1024\n"
              "  --tls-cert FILE        serve HTTPS and WSS with this PEM certificate (chain) ...\n"
              "  --tls-key FILE         ... and this PEM private key; SIGHUP reads both again\n"
              "  --per-message-deflate  offer WebSocket compression (permessage-deflate; off by default)\n"
              "  --per-message-deflate-threshold BYTES  compress messages from this size, default 1024\n"
              "  --redis URL            join a cluster through Redis, as a node of Node's\n"
              "                         @socket.io/redis-adapter: redis://[:password@]host[:port][/db]\n"
              "                         (or set SIO_REDIS_URL)\n"
              "  --requests-timeout MS  how long a cluster-wide request (the admin UI's socket list,\n"
              "                         fetches, acks) waits for the other servers, default 5000\n"
              "  --recovery             connection state recovery (Node's connectionStateRecovery):\n"
              "                         a client that reconnects within the window gets its socket\n"
              "                         id, rooms, data and missed packets back\n"
              "  --recovery-window MS   the same, with this window (maxDisconnectionDuration),\n"
              "                         default 120000\n"
              "  --recovery-run-middlewares  run the middlewares for a recovered socket too\n"
              "                         (skipMiddlewares false)\n"
              "  --recovery-max-bytes N  packets kept for recovery per namespace, default 16777216\n",
              out);
    fputs("  --max-payload BYTES    largest message (maxHttpBufferSize), default 1000000\n"
          "  --cors-origin ORIGIN   allow this origin (repeatable; * for any;\n"
          "                         https://*.example.com: one label before example.com)\n"
          "  --cors-credentials     allow credentials on CORS requests\n"
          "  --request-timeout MS   time to receive a request body, default 300000\n"
          "  --keep-alive-timeout MS  idle keep-alive connections closed after, default 5000\n"
          "  --max-connections N    connections at once (default: what the fd limit allows)\n"
          "  --max-queue-bytes N    one client's send queue, default 16777216\n"
          "  --max-total-queue-bytes N  all send queues together, default 1073741824\n"
          "  --transports LIST      polling,websocket (default), polling or websocket\n"
          "  --no-upgrades          no upgrade from polling to WebSocket\n"
          "  --no-eio3              refuse Engine.IO v3 clients (socket.io-client 2.x)\n",
          out);
    if (f->extra_usage)
        fputs(f->extra_usage, out);
    fputs("  --help                 this text\n", out);
}

long server_flags_number(const char *prog, const char *name, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (!*value || *end || errno || n < min || n > max) {
        fprintf(stderr, "%s: bad value for --%s: %s (%ld to %ld)\n", prog, name, value, min, max);
        exit(2);
    }
    return n;
}

/* The transports of a --transports list ("polling,websocket"), as bits of
 * both libraries' values; 0 for a bad list. */
_Static_assert(SIO_TRANSPORT_POLLING == EIO_TRANSPORT_POLLING && SIO_TRANSPORT_WEBSOCKET == EIO_TRANSPORT_WEBSOCKET,
               "one set of transport bits");
static unsigned parse_transports(const char *list)
{
    unsigned bits = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (n == 7 && strncmp(p, "polling", 7) == 0)
            bits |= SIO_TRANSPORT_POLLING;
        else if (n == 9 && strncmp(p, "websocket", 9) == 0)
            bits |= SIO_TRANSPORT_WEBSOCKET;
        else
            return 0;
        if (!p[n])
            return bits;
        p += n + 1;
    }
}

/* Whether a --cors-origin value is one the server can match: "*", an
 * origin without '*', or a pattern whose wildcard is the whole first label
 * of the host ("https://" "*.example.com[:port]"), with no path. */
static bool origin_entry_ok(const char *v)
{
    const char *star = strchr(v, '*');
    if (!star || strcmp(v, "*") == 0)
        return true;
    const char *sep = strstr(v, "://");
    return sep && sep > v && star == sep + 3 && star[1] == '.' &&
           (isalnum((unsigned char)star[2]) || star[2] == '-' || star[2] == '_') && !strpbrk(star + 2, "*/?#@");
}

/* Sets a field of whichever options are being filled. */
#define SET(sio_field, eio_field, value)                                                                     \
    do {                                                                                                     \
        if (sio)                                                                                             \
            sio->sio_field = (value);                                                                        \
        else                                                                                                 \
            eio->eio_field = (value);                                                                        \
    } while (0)

int server_flags_parse(const server_flags *f, int argc, char **argv, sio_options *sio,
                       eio_server_options *eio)
{
    size_t n_extra = 0;
    while (f->extra && f->extra[n_extra].name)
        n_extra++;
    struct option *opts = calloc(N_COMMON + n_extra + 1, sizeof(*opts));
    free(origins);
    free(proxies);
    free(headers);
    origins = calloc((size_t)argc + 1, sizeof(*origins));
    proxies = calloc((size_t)argc + 1, sizeof(*proxies));
    headers = calloc((size_t)argc + 1, sizeof(*headers));
    if (!opts || !origins || !proxies || !headers) {
        fprintf(stderr, "%s: out of memory\n", f->prog);
        free(opts);
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < N_COMMON; i++)
        if (sio || !sio_only(common[i].val))
            opts[n++] = common[i];
    for (size_t i = 0; i < n_extra; i++)
        opts[n++] = f->extra[i];

    const char *prog = f->prog;
    size_t n_origins = 0, n_proxies = 0, n_headers = 0;
    int status = -1, ch;
    if (sio && getenv("SIO_REDIS_URL") && *getenv("SIO_REDIS_URL"))
        sio->redis_url = getenv("SIO_REDIS_URL"); /* a --redis below wins */
    optind = 1;
    while (status < 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *v = optarg;
        switch (ch) {
        case F_HOST: SET(bind_addr, bind_addr, v); break;
        case F_PORT: SET(port, port, (int)server_flags_number(prog, "port", v, 0, 65535)); break;
        case F_PATH:
            if (v[0] != '/') {
                fprintf(stderr, "%s: --path must start with '/'\n", prog);
                status = 2;
            }
            SET(path, path, v);
            break;
        case F_PING_INTERVAL:
            SET(ping_interval, ping_interval, (unsigned)server_flags_number(prog, "ping-interval", v, 1, 1L << 30));
            break;
        case F_PING_TIMEOUT:
            SET(ping_timeout, ping_timeout, (unsigned)server_flags_number(prog, "ping-timeout", v, 1, 1L << 30));
            break;
        case F_UPGRADE_TIMEOUT:
            SET(upgrade_timeout, upgrade_timeout,
                (unsigned)server_flags_number(prog, "upgrade-timeout", v, 1, 1L << 30));
            break;
        case F_CONNECT_TIMEOUT:
            sio->connect_timeout = (unsigned)server_flags_number(prog, "connect-timeout", v, 1, 1L << 30);
            break;
        case F_MAX_PAYLOAD:
            SET(max_http_buffer_size, max_payload, (size_t)server_flags_number(prog, "max-payload", v, 1, 1L << 30));
            break;
        case F_CORS_ORIGIN:
            if (!origin_entry_ok(v)) {
                fprintf(stderr,
                        "%s: bad --cors-origin %s: a '*' stands for the whole first label of the host, "
                        "as in https://*.example.com\n",
                        prog, v);
                status = 2;
            }
            origins[n_origins++] = v;
            break;
        case F_CORS_CREDENTIALS: SET(cors_credentials, cors_credentials, true); break;
        case F_REQUEST_TIMEOUT:
            SET(request_timeout, request_timeout,
                (unsigned)server_flags_number(prog, "request-timeout", v, 1, 1L << 30));
            break;
        case F_KEEP_ALIVE_TIMEOUT:
            SET(keep_alive_timeout, keep_alive_timeout,
                (unsigned)server_flags_number(prog, "keep-alive-timeout", v, 1, 1L << 30));
            break;
        case F_MAX_CONNECTIONS:
            SET(max_connections, max_connections,
                (unsigned)server_flags_number(prog, "max-connections", v, 1, 1L << 30));
            break;
        case F_MAX_QUEUE_BYTES:
            SET(max_queue_bytes, max_queue_bytes, (size_t)server_flags_number(prog, "max-queue-bytes", v, 1, LONG_MAX));
            break;
        case F_MAX_TOTAL_QUEUE_BYTES:
            SET(max_total_queue_bytes, max_total_queue_bytes,
                (size_t)server_flags_number(prog, "max-total-queue-bytes", v, 1, LONG_MAX));
            break;
        case F_TRANSPORTS: {
            unsigned bits = parse_transports(v);
            if (!bits) {
                fprintf(stderr, "%s: bad --transports %s: polling, websocket, or both with a comma\n", prog, v);
                status = 2;
            }
            SET(transports, transports, bits);
            break;
        }
        case F_NO_UPGRADES: SET(allow_upgrades, allow_upgrades, false); break;
        case F_NO_EIO3: SET(allow_eio3, allow_eio3, false); break;
        case F_TRUST_PROXY: proxies[n_proxies++] = v; break;
        case F_KEEP_HEADER: headers[n_headers++] = v; break;
        case F_CLEANUP_CHILDREN: sio->cleanup_empty_child_namespaces = true; break;
        case F_PARSER:
            if (strcmp(v, "default") == 0) {
                sio->parser = SIO_PARSER_DEFAULT;
            } else if (strcmp(v, "msgpack") == 0) {
                sio->parser = SIO_PARSER_MSGPACK;
            } else {
                fprintf(stderr, "%s: bad --parser %s: default or msgpack\n", prog, v);
                status = 2;
            }
            break;
        case F_COOKIE: sio->cookie_name = v; break;
        case F_COOKIE_PATH: sio->cookie_path = v; break;
        case F_COOKIE_SAME_SITE: sio->cookie_same_site = v; break;
        case F_COOKIE_MAX_AGE: sio->cookie_max_age = server_flags_number(prog, "cookie-max-age", v, 0, 1L << 40); break;
        case F_COOKIE_SECURE: sio->cookie_secure = true; break;
        case F_NO_HTTP_COMPRESSION: sio->http_compression = false; break;
        case F_TLS_CERT: sio->tls_cert = v; break;
        case F_TLS_KEY: sio->tls_key = v; break;
        case F_PER_MESSAGE_DEFLATE: sio->per_message_deflate = true; break;
        case F_DEFLATE_THRESHOLD:
            sio->per_message_deflate_threshold =
                (size_t)server_flags_number(prog, "per-message-deflate-threshold", v, 1, 1L << 30);
            break;
        case F_HTTP_COMPRESSION_THRESHOLD:
            sio->http_compression_threshold =
                (size_t)server_flags_number(prog, "http-compression-threshold", v, 1, 1L << 30);
            break;
        case F_REDIS: sio->redis_url = v; break;
        case F_REQUESTS_TIMEOUT:
            sio->requests_timeout = (unsigned)server_flags_number(prog, "requests-timeout", v, 1, 1L << 31);
            break;
        case F_RECOVERY: sio->connection_state_recovery = true; break;
        case F_RECOVERY_WINDOW:
            sio->connection_state_recovery = true;
            sio->recovery_max_disconnection_duration =
                (unsigned)server_flags_number(prog, "recovery-window", v, 1, 1L << 31);
            break;
        case F_RECOVERY_RUN_MIDDLEWARES:
            sio->connection_state_recovery = true;
            sio->recovery_skip_middlewares = false;
            break;
        case F_RECOVERY_MAX_BYTES:
            sio->connection_state_recovery = true;
            sio->recovery_max_bytes = (size_t)server_flags_number(prog, "recovery-max-bytes", v, 1, LONG_MAX);
            break;
        case 'h':
        case F_HELP:
            usage(f, stdout, sio != NULL);
            status = 0;
            break;
        case '?':
        case ':':
            usage(f, stderr, sio != NULL);
            status = 2;
            break;
        default:
            if (f->on_extra) {
                int rc = f->on_extra(ch, v, f->user);
                if (rc)
                    status = rc;
            }
        }
    }
    free(opts);
    if (status < 0 && optind < argc) {
        fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
        usage(f, stderr, sio != NULL);
        status = 2;
    }
    if (n_origins) {
        SET(cors_origins, cors_origins, origins);
        SET(n_cors_origins, n_cors_origins, n_origins);
    }
    if (sio && n_proxies) {
        sio->trusted_proxies = proxies;
        sio->n_trusted_proxies = n_proxies;
    }
    if (status < 0 && sio && !sio->tls_cert != !sio->tls_key) {
        fprintf(stderr, "%s: --tls-cert and --tls-key go together\n", prog);
        status = 2;
    }
    if (sio && n_headers) {
        sio->extra_headers = headers;
        sio->n_extra_headers = n_headers;
    }
    return status;
}
