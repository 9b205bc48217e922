/* The Prometheus text exposition (api/metrics_text.h): every family with
 * its HELP and TYPE lines before its samples, in a fixed order, the
 * namespaces in the order of their names, label values escaped, counters
 * named with _total, and the numbers as given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/metrics_text.h"
#include "sio/sio_counters.h"

/* The text for fixed numbers, NUL-terminated, to free(). */
static char *render(sio_namespace_metrics *nsps, size_t n)
{
    sio_metrics m;
    memset(&m, 0, sizeof(m));
    m.connections[SIO_METRICS_WEBSOCKET][SIO_METRICS_EIO4] = 7;
    m.connections_opened[SIO_METRICS_POLLING][SIO_METRICS_EIO3] = 3;
    m.received_bytes = 1234;
    m.sent_bytes = 18446744073709551615u; /* the largest counter prints whole */
    m.queued_bytes = 99;
    m.queue_full_closes = 2;
    m.handshake_errors[1] = 5;
    m.connect_errors[SIO_CONNECT_ERROR_INVALID_NAMESPACE] = 4;
    m.ack_timeouts = 6;
    m.upgrades = 8;
    m.upgrade_failures = 1;
    m.disconnects[SIO_DISCONNECT_PING_TIMEOUT] = 9;
    sio_process_metrics p = {.cpu_seconds = 1.25, .resident_bytes = 4096, .open_fds = 12, .max_fds = 1024,
                             .start_time_seconds = 1700000000.5};
    sio_buf out;
    sio_buf_init(&out, 0);
    assert_int_equal(metrics_text_write(&out, &m, nsps, n, &p), 0);
    assert_int_equal(sio_buf_putc(&out, 0), 0);
    return (char *)out.mem;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void test_values_and_labels(void **state)
{
    (void)state;
    sio_namespace_metrics nsps[] = {{.name = "/", .sockets = 2, .rooms = 1, .events_received = 10,
                                     .events_sent = 11, .broadcasts = 3, .broadcast_recipients = 6}};
    char *t = render(nsps, 1);
    static const char *const want[] = {
        "# HELP socketio_connections Engine.IO connections open now, by their current transport and protocol version.",
        "# TYPE socketio_connections gauge",
        "socketio_connections{transport=\"polling\",protocol_version=\"3\"} 0",
        "socketio_connections{transport=\"websocket\",protocol_version=\"4\"} 7",
        "# TYPE socketio_connections_opened_total counter",
        "socketio_connections_opened_total{transport=\"polling\",protocol_version=\"3\"} 3",
        "socketio_sockets{namespace=\"/\"} 2",
        "socketio_rooms{namespace=\"/\"} 1",
        "socketio_events_received_total{namespace=\"/\"} 10",
        "socketio_events_sent_total{namespace=\"/\"} 11",
        "socketio_broadcasts_total{namespace=\"/\"} 3",
        "socketio_broadcast_recipients_total{namespace=\"/\"} 6",
        "socketio_received_bytes_total 1234",
        "socketio_sent_bytes_total 18446744073709551615",
        "# TYPE socketio_queued_bytes gauge",
        "socketio_queued_bytes 99",
        "socketio_queue_full_closes_total 2",
        "socketio_handshake_errors_total{code=\"0\",message=\"Transport unknown\"} 0",
        "socketio_handshake_errors_total{code=\"1\",message=\"Session ID unknown\"} 5",
        "socketio_handshake_errors_total{code=\"5\",message=\"Unsupported protocol version\"} 0",
        "socketio_connect_errors_total{reason=\"invalid_namespace\"} 4",
        "socketio_connect_errors_total{reason=\"middleware\"} 0",
        "socketio_ack_timeouts_total 6",
        "socketio_upgrades_total{result=\"completed\"} 8",
        "socketio_upgrades_total{result=\"failed\"} 1",
        "socketio_disconnects_total{reason=\"ping timeout\"} 9",
        "socketio_disconnects_total{reason=\"client namespace disconnect\"} 0",
        "# TYPE process_cpu_seconds_total counter",
        "process_cpu_seconds_total 1.250",
        "process_resident_memory_bytes 4096",
        "process_open_fds 12",
        "process_max_fds 1024",
        "# TYPE process_start_time_seconds gauge",
        "process_start_time_seconds 1700000000.500",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!has_line(t, want[i]))
            fail_msg("missing line: %s\n--- text ---\n%s", want[i], t);
    free(t);
}

/* Every family: HELP, then TYPE, then its samples (lines that start with
 * its name), each family once; counters end in _total. */
static void test_structure(void **state)
{
    (void)state;
    sio_namespace_metrics nsps[] = {{.name = "/b"}, {.name = "/a"}};
    char *t = render(nsps, 2);
    assert_true(t[strlen(t) - 1] == '\n');
    char family[128] = "", seen[4096] = " ";
    int expect = 0; /* 0: a HELP line; 1: its TYPE line; 2: samples or the next HELP */
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128], type[32];
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_true(expect != 1);
            assert_int_equal(sscanf(line + 7, "%127s", family), 1);
            char key[132];
            snprintf(key, sizeof(key), " %s ", family);
            if (strstr(seen, key))
                fail_msg("family %s twice", family);
            strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
            expect = 1;
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(expect, 1);
            assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
            assert_string_equal(name, family);
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0);
            size_t n = strlen(name);
            bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
            if (total != (strcmp(type, "counter") == 0))
                fail_msg("%s is a %s", name, type);
            expect = 2;
        } else {
            assert_int_equal(expect, 2);
            size_t n = strlen(family);
            assert_memory_equal(line, family, n);
            assert_true(line[n] == '{' || line[n] == ' ');
        }
    }
    free(t);
}

static void test_namespace_order_and_escaping(void **state)
{
    (void)state;
    sio_namespace_metrics nsps[] = {
        {.name = "/z", .sockets = 1},
        {.name = "/q\"uote\\back\nline", .sockets = 2},
        {.name = "/", .sockets = 3},
    };
    char *t = render(nsps, 3);
    const char *root = strstr(t, "socketio_sockets{namespace=\"/\"} 3\n");
    const char *odd = strstr(t, "socketio_sockets{namespace=\"/q\\\"uote\\\\back\\nline\"} 2\n");
    const char *z = strstr(t, "socketio_sockets{namespace=\"/z\"} 1\n");
    if (!root || !odd || !z)
        fail_msg("namespaces not found as escaped:\n%s", t);
    assert_true(root < odd && odd < z);
    /* No raw line feed of the name made it into the text: every line is
     * a comment or starts with a metric name. */
    for (const char *p = t; *p; p = strchr(p, '\n') + 1)
        assert_true(*p == '#' || (*p >= 'a' && *p <= 'z'));
    free(t);
}

static void test_no_namespaces(void **state)
{
    (void)state;
    char *t = render(NULL, 0);
    /* The family is still declared, with no sample. */
    assert_non_null(strstr(t, "# TYPE socketio_sockets gauge\n# HELP socketio_rooms "));
    free(t);
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(sio_disconnect_reason_name(SIO_DISCONNECT_TRANSPORT_CLOSE), "transport close");
    assert_string_equal(sio_disconnect_reason_name(SIO_DISCONNECT_SERVER_SHUTDOWN), "server shutting down");
    assert_null(sio_disconnect_reason_name(SIO_DISCONNECT_REASONS));
    assert_null(sio_disconnect_reason_name(-1));
    assert_string_equal(sio_connect_error_reason_name(SIO_CONNECT_ERROR_MIDDLEWARE), "middleware");
    assert_null(sio_connect_error_reason_name(SIO_CONNECT_ERROR_REASONS));
    sio_counters c;
    memset(&c, 0, sizeof(c));
    sio_count_disconnect(&c, "ping timeout");
    sio_count_disconnect(&c, "something new");
    sio_count_disconnect(&c, NULL);
    assert_int_equal(c.disconnects[SIO_DISCONNECT_PING_TIMEOUT], 1);
    assert_int_equal(c.disconnects[SIO_DISCONNECT_OTHER], 2);
}

static void test_process_metrics(void **state)
{
    (void)state;
    sio_process_metrics p;
    sio_process_metrics_read(&p);
    assert_true(p.resident_bytes > 0);
    assert_true(p.open_fds >= 3); /* stdin, stdout, stderr */
    assert_true(p.max_fds >= p.open_fds);
    assert_true(p.start_time_seconds > 1.6e9);
    assert_true(p.cpu_seconds >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_labels),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_namespace_order_and_escaping),
        cmocka_unit_test(test_no_namespaces),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_process_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
