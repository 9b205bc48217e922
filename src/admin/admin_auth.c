/* The admin namespace's authentication, as @socket.io/admin-ui 0.5 does it:
 * the UI's login sends auth {username, password}, checked against a bcrypt
 * hash; a success opens a session whose id the UI is sent ("session") and
 * keeps, and later connections of the UI send auth {sessionId} instead.
 * Anything else is refused with the connect_error "invalid credentials",
 * the message the UI's login form shows. The password's check runs off the
 * loop (admin_login.c). */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admin.h"

#define BCRYPT_LEN 60

/* Equal strings, in a time that does not depend on where they differ
 * (only on the length of `secret`). */
static bool equal_in_constant_time(const char *given, const char *secret)
{
    size_t n = strlen(secret), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(secret[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

bool sio_admin_is_bcrypt(const char *h)
{
    if (!h || strlen(h) != BCRYPT_LEN || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$')
        return false;
    if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
        return false;
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < 4 || cost > 31)
        return false;
    for (size_t i = 7; i < BCRYPT_LEN; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/'))
            return false;
    }
    return true;
}

bool sio_admin_password_ok(const char *password, const char *hash)
{
    if (!password || !sio_admin_is_bcrypt(hash))
        return false;
    /* crypt_r's state is large (about 32 KB): not on the loop's stack. */
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (!cd)
        return false;
    const char *out = crypt_r(password, hash, cd);
    /* A failure is NULL or a string starting with '*', never the hash. */
    bool ok = out && strlen(out) == BCRYPT_LEN && equal_in_constant_time(out, hash);
    free(cd);
    return ok;
}

char *sio_admin_hash_password(const char *password, unsigned cost)
{
    if (!password || cost > 31 || (cost && cost < 4))
        return NULL;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL random bytes: libxcrypt takes them from the system. */
    if (!crypt_gensalt_rn("$2b$", cost ? cost : 10, NULL, 0, salt, sizeof(salt)))
        return NULL;
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (!cd)
        return NULL;
    const char *out = crypt_r(password, salt, cd);
    char *hash = out && sio_admin_is_bcrypt(out) ? strdup(out) : NULL;
    free(cd);
    return hash;
}

static bool session_known(const admin *a, const char *id)
{
    bool found = false;
    for (size_t i = 0; i < ADMIN_SESSIONS; i++)
        found |= a->sessions[i][0] && equal_in_constant_time(id, a->sessions[i]);
    return found;
}

/* A new session id in a->sessions; NULL when no randomness was to be had. */
static const char *session_open(admin *a)
{
    unsigned char raw[ADMIN_SESSION_ID_LEN / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return NULL;
    char *id = a->sessions[a->next_session];
    a->next_session = (a->next_session + 1) % ADMIN_SESSIONS;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    return id;
}

bool admin_session_send(admin *a, sio_socket *s)
{
    const char *id = session_open(a);
    if (!id)
        return false;
    char args[ADMIN_SESSION_ID_LEN + 8];
    snprintf(args, sizeof(args), "[\"%s\"]", id);
    sio_emit(s, "session", args); /* sent right after the CONNECT reply */
    return true;
}

bool admin_credentials_ok(const admin *a, const char *user, const char *password)
{
    /* The hash is checked even for a wrong name: the answer takes as long. */
    bool ok = sio_admin_password_ok(password, a->hash);
    return equal_in_constant_time(user, a->username) && ok;
}

void admin_auth_middleware(sio_socket *s, sio_decision *d, void *user)
{
    admin *a = user;
    const char *text = sio_socket_auth(s);
    sio_json *doc = sio_json_parse(text, strlen(text), NULL);
    sio_json_value auth = sio_json_root(doc);
    char *session = sio_json_strdup(sio_json_get(auth, "sessionId"), NULL);
    bool known = session && session[0] && session_known(a, session);
    char *name = known ? NULL : sio_json_strdup(sio_json_get(auth, "username"), NULL);
    char *password = known ? NULL : sio_json_strdup(sio_json_get(auth, "password"), NULL);
    free(session);
    sio_json_free(doc);
    if (known)
        sio_decide(d, true, NULL, NULL);
    else if (name && password)
        admin_login_check(a, d, name, password); /* takes both */
    else {
        free(name);
        if (password)
            explicit_bzero(password, strlen(password));
        free(password);
        sio_decide(d, false, "invalid credentials", NULL);
    }
}
