/* The admin UI's password check (include/sio_admin.h): bcrypt hashes as
 * @socket.io/admin-ui's bcryptjs and htpasswd make them ($2a$, $2b$, $2y$),
 * wrong passwords, malformed hashes and hashes of other schemes refused,
 * and a hash made here checked back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio_admin.h"

/* Made by bcryptjs 2.4 (the admin UI's own library), cost 4. */
#define BCRYPTJS_HASH "$2a$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2"
#define BCRYPTJS_PASSWORD "s3cret pass"

static void test_valid_hashes(void **state)
{
    (void)state;
    /* Openwall's crypt_blowfish test vectors. */
    assert_true(sio_admin_password_ok("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    assert_true(sio_admin_password_ok("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"));
    assert_true(sio_admin_password_ok("U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"));
    assert_true(sio_admin_password_ok(BCRYPTJS_PASSWORD, BCRYPTJS_HASH));
    /* For a password of ASCII characters $2a$, $2b$ and $2y$ agree. */
    char h[] = BCRYPTJS_HASH;
    h[2] = 'b';
    assert_true(sio_admin_password_ok(BCRYPTJS_PASSWORD, h));
    h[2] = 'y';
    assert_true(sio_admin_password_ok(BCRYPTJS_PASSWORD, h));
}

static void test_wrong_password(void **state)
{
    (void)state;
    assert_false(sio_admin_password_ok("s3cret pas", BCRYPTJS_HASH));
    assert_false(sio_admin_password_ok("s3cret pass ", BCRYPTJS_HASH));
    assert_false(sio_admin_password_ok("", BCRYPTJS_HASH));
    assert_false(sio_admin_password_ok(NULL, BCRYPTJS_HASH));
    assert_false(sio_admin_password_ok("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    /* The digest changed by one character. */
    char h[] = BCRYPTJS_HASH;
    h[sizeof(h) - 2] = h[sizeof(h) - 2] == 'a' ? 'b' : 'a';
    assert_false(sio_admin_password_ok(BCRYPTJS_PASSWORD, h));
}

static void test_malformed_hashes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "$2a$04$",
        "$2a$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN",   /* one short */
        "$2a$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN22", /* one long */
        "$2a$03$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2",  /* cost too low */
        "$2a$32$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2",  /* cost too high */
        "$2a$4x$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2",
        "$2a$04EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2$",
        "$2a$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKv!2",  /* not base64 */
        "$2a$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKv 2",
        "$2x$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2",  /* the buggy variant */
        "$2$04$EGFrduuYmItwrx5v1IQOz.sJlMWWEUfJ3R7wSGtCel9SMi8wzKvN2",
        "s3cret pass",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(sio_admin_is_bcrypt(bad[i]));
        assert_false(sio_admin_password_ok(BCRYPTJS_PASSWORD, bad[i]));
    }
    assert_false(sio_admin_is_bcrypt(NULL));
    assert_false(sio_admin_password_ok(BCRYPTJS_PASSWORD, NULL));
}

static void test_other_schemes_refused(void **state)
{
    (void)state;
    /* Right hashes of "pass" that crypt() would accept (SHA-512, SHA-256,
     * MD5, DES, yescrypt); the UI's hashes are bcrypt only. */
    static const char *const other[][2] = {
        {"pass", "$6$saltsalt$KN.twvCyfwE67paW76hS2/bacYkY9PxIhxqYG9vL5bZmIwWBGDJ6mu4HlCosKUBfQwVXKXxXVXPcqdwd1Ip0X/"},
        {"pass", "$5$saltsalt$9k0iflfLhuazVMAUTm0egnVlpP5ays5xBLqSJuoPfB9"},
        {"pass", "$1$saltsalt$hZR.9zfJXcVTsa9iTxnQR1"},
        {"pass", "sa5JEXtYx/rm6"}, /* DES */
        {"pass", "$y$j9T$F5Jx5fExrKuJdvqsRunzP.$7hWv5m3YkzCNoFcWipwtQkR.PeG/MR2IGpD7laUmXp9"},
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        assert_false(sio_admin_is_bcrypt(other[i][1]));
        assert_false(sio_admin_password_ok(other[i][0], other[i][1]));
    }
}

static void test_hash_password(void **state)
{
    (void)state;
    char *h = sio_admin_hash_password("hunter2", 4);
    assert_non_null(h);
    assert_true(sio_admin_is_bcrypt(h));
    assert_memory_equal(h, "$2b$04$", 7);
    assert_true(sio_admin_password_ok("hunter2", h));
    assert_false(sio_admin_password_ok("hunter3", h));
    char *again = sio_admin_hash_password("hunter2", 4);
    assert_non_null(again);
    assert_string_not_equal(h, again); /* a salt of its own */
    free(h);
    free(again);
    assert_null(sio_admin_hash_password("x", 3));
    assert_null(sio_admin_hash_password("x", 32));
    assert_null(sio_admin_hash_password(NULL, 4));
    h = sio_admin_hash_password("x", 0); /* the default cost, 10 */
    assert_non_null(h);
    assert_memory_equal(h, "$2b$10$", 7);
    free(h);
}

static void test_instrument_refuses_bad_options(void **state)
{
    (void)state;
    sio_options so;
    sio_options_init(&so);
    so.port = 0;
    so.bind_addr = "127.0.0.1";
    sio_server *srv = NULL;
    assert_int_equal(sio_server_create(&so, &srv, NULL, 0), SIO_OK);
    sio_admin_options o;
    sio_admin_options_init(&o);
    assert_int_equal(sio_admin_instrument(srv, &o), SIO_EINVAL); /* no auth chosen */
    o.username = "admin";
    o.password_hash = "$1$saltsalt$hZR.9zfJXcVTsa9iTxnQR1";
    assert_int_equal(sio_admin_instrument(srv, &o), SIO_EINVAL);
    o.password_hash = BCRYPTJS_HASH;
    o.namespace_name = "admin";
    assert_int_equal(sio_admin_instrument(srv, &o), SIO_EINVAL);
    o.namespace_name = "/admin";
    assert_int_equal(sio_admin_instrument(srv, &o), SIO_OK);
    assert_non_null(sio_find_namespace(srv, "/admin"));
    sio_server_free(srv); /* releases what instrument kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_hashes),       cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_malformed_hashes),   cmocka_unit_test(test_other_schemes_refused),
        cmocka_unit_test(test_hash_password),      cmocka_unit_test(test_instrument_refuses_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
