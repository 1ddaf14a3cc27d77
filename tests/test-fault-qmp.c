/* Fault suite, QMP peer: `virt-converge tune --qmp` (the tuner as users run it) against a
 * faulty peer. A fault-injecting proxy (real unix sockets, a thread of this test) sits between
 * the tuner and virt-converge-sim, which has no fault injection of its own for the wire. The
 * peer falls silent or closes once the tuner has raised downtime-limit, so that what it
 * changed is at stake; garbage comes from the start, the oversized line after the first
 * change.
 *
 * Each case asserts the final state, read back from the simulator on a connection of its own
 * (the simulator, unlike QEMU, serves several clients), never from the tuner's records alone:
 * - the migration's outcome: QEMU's status, and the tuner's exit status and summary agree;
 * - the parameters left on the source: downtime-limit as query-migrate-parameters reports it,
 *   equal to what the tuner says it left (completed: its last applied value; gone: not
 *   restored, its value stays);
 * - the tuner: exited by itself (no hang, no signal) with one summary line, the simulator
 *   still answering;
 * - no cap exceeded: QEMU's achieved downtime <= max-downtime for a completed migration, and
 *   every downtime-limit the tuner applied, and the one left, <= max-downtime less the
 *   policy's switchover reserve (the policy states the link's rate and QEMU 11.1 takes
 *   avail-switchover-bandwidth, so the limit is the blackout).
 *
 * Cases (fault -> what must follow):
 *   garbage-at-attach  a non-QMP line before the first reply after the handshake
 *                                                      -> exit 1, clear error, nothing changed
 *   garbage       a non-QMP line after every 4th line, from the first change
 *                                                      -> completes, limit kept within cap
 *   oversized     one 1 MiB + 64 byte line             -> completes (the line is dropped)
 *   bytewise      every byte written on its own        -> completes
 *   silent-once   the peer stops answering (1st conn.) -> timeouts, reconnect, completes
 *   close-mid     the peer closes half-way in a reply  -> reconnect, completes
 *   silent-always no answer on any connection          -> exit 5 "QEMU gone", limit not
 *                                                         restored and said so, migration
 *                                                         still running on the source
 *   vfio-garbage  wrapping/huge/fluctuating VFIO sizes -> ends as its policy says, cap kept
 *                 (simulator scenario, clean proxy)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-test-sim.h"

typedef enum {
    FAULT_NONE = 0,
    FAULT_GARBAGE,
    FAULT_GARBAGE_AT_ATTACH,
    FAULT_OVERSIZED,
    FAULT_BYTEWISE,
    FAULT_SILENT_ONCE,
    FAULT_SILENT_ALWAYS,
    FAULT_CLOSE_MID_REPLY,
} FaultKind;

/* ---- the proxy --------------------------------------------------------------------------- */

typedef struct {
    FaultKind kind;
    gchar *listen_path;
    gchar *upstream_path;
    int listen_fd;
    int wake[2];
    GThread *thread;
    gint n_connections;    /* atomic */
    gint n_injected;       /* atomic: fault actions taken */
    gboolean triggered;    /* the tuner changed a parameter (proxy thread only) */
    gboolean limit_raised; /* ... and downtime-limit */
} Proxy;

static gboolean
write_all(int fd, const gchar *buf, gsize len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        buf += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static const gchar *const garbage_lines[] = {
    "this is not JSON\r\n",
    "\x01\x02\xff\xfe\x80 binary\r\n",
    "[1, 2, 3]\r\n",
    "{\"event\": 5, \"data\": null}\r\n",
    "{\"return\": {\"status\": \"completed\"}, \"id\": \"no-such-command\"}\r\n",
    "{\"error\": \"not an object\", \"id\": 42}\r\n",
};
/* Not forged: a well-formed return or error without an id. QEMU sends an id-less error for a
 * request it could not parse, so the client takes one for the answer to its oldest command,
 * by design; a forged one is a lie the tuner cannot tell from QEMU's word. */

/* Sends one line from the simulator to the tuner, faulty as the proxy says. FALSE: close the
 * connection now. */
static gboolean
proxy_forward_line(Proxy *p, int client, const gchar *line, gsize len, guint n_line,
                   guint conn_index, guint *n_after_trigger, gboolean *silent)
{
    if (*silent)
        return TRUE;
    if (p->limit_raised)
        (*n_after_trigger)++;
    switch (p->kind) {
    case FAULT_GARBAGE:
        if (!write_all(client, line, len))
            return FALSE;
        if (p->triggered && n_line % 4 == 0) {
            const gchar *g =
                garbage_lines[g_atomic_int_add(&p->n_injected, 1) % G_N_ELEMENTS(garbage_lines)];

            return write_all(client, g, strlen(g));
        }
        return TRUE;
    case FAULT_GARBAGE_AT_ATTACH:
        /* the greeting, the capabilities' reply, then garbage before the next reply */
        if (n_line == 2) {
            g_atomic_int_inc(&p->n_injected);
            if (!write_all(client, garbage_lines[0], strlen(garbage_lines[0])))
                return FALSE;
        }
        return write_all(client, line, len);
    case FAULT_OVERSIZED:
        if (!write_all(client, line, len))
            return FALSE;
        if (p->triggered && g_atomic_int_get(&p->n_injected) == 0) {
            gsize big = 1024 * 1024 + 64;
            g_autofree gchar *huge = g_malloc(big + 2);

            memset(huge, 'x', big);
            huge[0] = '{';
            memcpy(huge + big, "\r\n", 2);
            g_atomic_int_inc(&p->n_injected);
            return write_all(client, huge, big + 2);
        }
        return TRUE;
    case FAULT_BYTEWISE:
        for (gsize i = 0; i < len; i++) {
            if (!write_all(client, line + i, 1))
                return FALSE;
            g_usleep(20);
        }
        g_atomic_int_inc(&p->n_injected);
        return TRUE;
    case FAULT_SILENT_ONCE:
        if (conn_index == 0 && *n_after_trigger > 2) {
            *silent = TRUE;
            g_atomic_int_inc(&p->n_injected);
            return TRUE;
        }
        return write_all(client, line, len);
    case FAULT_SILENT_ALWAYS:
        if (p->limit_raised && *n_after_trigger > 2) {
            *silent = TRUE;
            g_atomic_int_inc(&p->n_injected);
            return TRUE;
        }
        return write_all(client, line, len);
    case FAULT_CLOSE_MID_REPLY:
        if (conn_index == 0 && *n_after_trigger > 2 && len > 8) {
            write_all(client, line, len / 2);
            g_atomic_int_inc(&p->n_injected);
            return FALSE;
        }
        return write_all(client, line, len);
    case FAULT_NONE:
        return write_all(client, line, len);
    default:
        g_assert_not_reached();
    }
}

static int
connect_unix(const gchar *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One tuner connection, to its end (either side closes, or the test stops the proxy).
 * FALSE: the proxy is stopping. */
static gboolean
proxy_serve(Proxy *p, int client, guint conn_index)
{
    int upstream = connect_unix(p->upstream_path);
    g_autoptr(GString) from_sim = g_string_new(NULL);
    guint n_line = 0, n_after_trigger = 0;
    gboolean silent = p->kind == FAULT_SILENT_ALWAYS && p->limit_raised;
    gboolean go_on = TRUE;

    if (upstream < 0)
        return TRUE;
    for (;;) {
        struct pollfd fds[3] = {
            {.fd = client, .events = POLLIN},
            {.fd = upstream, .events = POLLIN},
            {.fd = p->wake[0], .events = POLLIN},
        };
        gchar buf[65536];
        ssize_t n;

        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[2].revents != 0) {
            go_on = FALSE;
            break;
        }
        if (fds[0].revents != 0) {
            n = recv(client, buf, sizeof(buf), 0);
            if (n <= 0)
                break;
            if (g_strstr_len(buf, n, "migrate-set-parameters") != NULL) {
                p->triggered = TRUE;
                if (g_strstr_len(buf, n, "downtime-limit") != NULL)
                    p->limit_raised = TRUE;
            }
            if (!write_all(upstream, buf, (gsize)n))
                break;
        }
        if (fds[1].revents != 0) {
            gboolean closed = FALSE;
            const gchar *nl;

            n = recv(upstream, buf, sizeof(buf), 0);
            if (n <= 0)
                break;
            g_string_append_len(from_sim, buf, n);
            while ((nl = memchr(from_sim->str, '\n', from_sim->len)) != NULL) {
                gsize len = (gsize)(nl - from_sim->str) + 1;

                if (!proxy_forward_line(p, client, from_sim->str, len, n_line++, conn_index,
                                        &n_after_trigger, &silent)) {
                    closed = TRUE;
                    break;
                }
                g_string_erase(from_sim, 0, (gssize)len);
            }
            if (closed)
                break;
        }
    }
    close(upstream);
    return go_on;
}

static gpointer
proxy_thread(gpointer data)
{
    Proxy *p = data;

    for (guint conn_index = 0;; conn_index++) {
        struct pollfd fds[2] = {
            {.fd = p->listen_fd, .events = POLLIN},
            {.fd = p->wake[0], .events = POLLIN},
        };
        int client;
        gboolean go_on;

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (fds[1].revents != 0)
            return NULL;
        client = accept(p->listen_fd, NULL, NULL);
        if (client < 0)
            continue;
        g_atomic_int_inc(&p->n_connections);
        go_on = proxy_serve(p, client, conn_index);
        close(client);
        if (!go_on)
            return NULL;
    }
}

static void
proxy_start(Proxy *p, FaultKind kind, const gchar *dir, const gchar *upstream)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->listen_path = g_build_filename(dir, "proxy.sock", NULL);
    p->upstream_path = g_strdup(upstream);
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(p->listen_fd, >=, 0);
    g_strlcpy(addr.sun_path, p->listen_path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(p->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(p->listen_fd, 4), ==, 0);
    g_assert_true(g_unix_open_pipe(p->wake, FD_CLOEXEC, NULL));
    p->thread = g_thread_new("fault-proxy", proxy_thread, p);
}

static void
proxy_stop(Proxy *p)
{
    g_assert_cmpint(write(p->wake[1], "x", 1), ==, 1);
    g_thread_join(p->thread);
    close(p->listen_fd);
    close(p->wake[0]);
    close(p->wake[1]);
    g_unlink(p->listen_path);
    g_free(p->listen_path);
    g_free(p->upstream_path);
}

/* ---- the simulator and the tuner ---------------------------------------------------------- */

typedef CvTestSim Sim;

typedef struct {
    gint exit_code;
    gchar *out;
    gchar *err;
    GPtrArray *records; /* JsonNode */
} Run;

static void
run_clear(Run *run)
{
    g_free(run->out);
    g_free(run->err);
    g_clear_pointer(&run->records, g_ptr_array_unref);
}

static void
run_tune(Run *run, const gchar *sock, const gchar *speed, const gchar *conf, const gchar *policy)
{
    g_autofree gchar *cli = cv_test_binary("agent/cli", "virt-converge");
    const gchar *argv[] = {
        cli,         "tune",     "--qmp", sock,     "--speed",     speed,           "--config",
        conf,        "--policy", policy,  "--json", "--no-events", "--qmp-timeout", "1",
        "--timeout", "3600",     NULL};
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    gint status = 0;

    memset(run, 0, sizeof(*run));
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &run->out,
                               &run->err, &status, &error));
    g_assert_no_error(error);
    /* the tuner ended by itself: no signal, no abort */
    g_assert_true(WIFEXITED(status));
    run->exit_code = WEXITSTATUS(status);
    if (run->err[0] != '\0')
        g_test_message("tune stderr: %s", run->err);
    run->records = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    lines = g_strsplit(run->out, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();

        if (lines[i][0] == '\0')
            continue;
        if (!json_parser_load_from_data(parser, lines[i], -1, &error))
            g_error("not a JSON line: %s (%s)", lines[i], error->message);
        g_ptr_array_add(run->records, json_node_copy(json_parser_get_root(parser)));
    }
}

static JsonObject *
rec(const Run *run, guint i)
{
    return json_node_get_object(g_ptr_array_index(run->records, i));
}

/* The one summary record (a record of the rate learned may follow it). */
static JsonObject *
summary(const Run *run)
{
    JsonObject *found = NULL;
    guint n = 0;

    for (guint i = 0; i < run->records->len; i++) {
        if (g_str_equal(json_object_get_string_member(rec(run, i), "record"), "summary")) {
            found = rec(run, i);
            n++;
        }
    }
    g_assert_cmpuint(n, ==, 1);
    return found;
}

/* The highest downtime-limit the tuner sent (whatever the reply said), the last one it
 * applied (-1: none), and whether @value is one it sent. */
static void
sent_limits(const Run *run, gint64 *highest, gint64 *last_applied)
{
    *highest = *last_applied = -1;
    for (guint i = 0; i < run->records->len; i++) {
        JsonObject *o = rec(run, i);
        const gchar *kind = json_object_get_string_member(o, "record");
        gint64 value;

        if (!g_str_equal(kind, "action") && !g_str_equal(kind, "restore"))
            continue;
        g_test_message("%s %s %" G_GINT64_FORMAT ": %s %s", kind,
                       json_object_get_string_member_with_default(o, "action", "?"),
                       json_object_get_int_member_with_default(o, "value", -1),
                       json_object_get_string_member_with_default(o, "result", "?"),
                       json_object_get_string_member_with_default(o, "error", ""));
        if (!g_str_equal(kind, "action") ||
            g_strcmp0(json_object_get_string_member_with_default(o, "action", ""),
                      "set-downtime-limit") != 0)
            continue;
        value = json_object_get_int_member(o, "value");
        *highest = MAX(*highest, value);
        if (g_strcmp0(json_object_get_string_member_with_default(o, "result", ""), "applied") == 0)
            *last_applied = value;
    }
}

static gboolean
was_sent(const Run *run, gint64 limit)
{
    for (guint i = 0; i < run->records->len; i++) {
        JsonObject *o = rec(run, i);

        if (g_str_equal(json_object_get_string_member(o, "record"), "action") &&
            g_strcmp0(json_object_get_string_member_with_default(o, "action", ""),
                      "set-downtime-limit") == 0 &&
            json_object_get_int_member(o, "value") == limit)
            return TRUE;
    }
    return FALSE;
}

/* ---- the cases ---------------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    FaultKind kind;
    const gchar *scenario;
    const gchar *policy;
    /* expected */
    gint exit_code;
    const gchar *outcome;     /* the tuner's summary */
    const gchar *qemu_status; /* query-migrate on the simulator, after */
    gboolean reconnects;      /* the summary counts at least one new connection */
    gboolean restorable;      /* gone, but one more connection works: restored */
} FaultRow;

/* The policies (tests/data/fault/fault.conf): link-10g states the link's rate; its cap is
 * 3 s and its switchover reserve the default 50 ms. */
static const FaultRow rows[] = {
    {"garbage-at-attach", FAULT_GARBAGE_AT_ATTACH, "vgpu-2g", "link-10g", 1, NULL, "active", FALSE,
     FALSE},
    {"garbage", FAULT_GARBAGE, "vgpu-2g", "link-10g", 0, "completed", "completed", FALSE},
    {"oversized", FAULT_OVERSIZED, "vgpu-2g", "link-10g", 0, "completed", "completed", FALSE},
    {"bytewise", FAULT_BYTEWISE, "vgpu-2g", "link-10g", 0, "completed", "completed", FALSE},
    {"silent-once", FAULT_SILENT_ONCE, "vgpu-2g", "link-10g", 0, "completed", "completed", TRUE},
    {"close-mid-reply", FAULT_CLOSE_MID_REPLY, "vgpu-2g", "link-10g", 5, "qemu-gone", NULL, FALSE,
     TRUE},
    {"silent-always", FAULT_SILENT_ALWAYS, "vgpu-2g", "link-10g", 5, "qemu-gone", NULL, FALSE,
     FALSE},
    {"vfio-garbage", FAULT_NONE, "vfio-garbage", "link-10g", -1, NULL, NULL, FALSE, FALSE},
};

static void
test_fault(gconstpointer data)
{
    const FaultRow *row = data;
    g_autofree gchar *conf =
        g_test_build_filename(G_TEST_DIST, "data", "fault", "fault.conf", NULL);
    const gchar *speed = "20";
    g_autoptr(JsonNode) migrate = NULL;
    g_autoptr(JsonNode) params = NULL;
    JsonObject *sum, *mig, *par;
    gint64 cap, reserve, highest, last, left;
    const gchar *status;
    Proxy proxy;
    Sim sim;
    Run run;

    cv_test_sim_start(&sim, row->scenario, speed, TRUE);
    proxy_start(&proxy, row->kind, sim.dir, sim.sock);
    run_tune(&run, proxy.listen_path, speed, conf, row->policy);
    proxy_stop(&proxy);
    g_test_message("%s: exit %d, %d connection(s), %d fault action(s)", row->name, run.exit_code,
                   g_atomic_int_get(&proxy.n_connections), g_atomic_int_get(&proxy.n_injected));
    /* the fault did happen */
    if (row->kind != FAULT_NONE)
        g_assert_cmpint(g_atomic_int_get(&proxy.n_injected), >, 0);

    /* the tuner's own account */
    /* link-10g in fault.conf: 3 s cap, 50 ms switchover reserve */
    cap = 3000;
    reserve = 50;
    g_assert_cmpint(run.exit_code, !=, 8);
    /* an error before the migration was attached has no summary */
    sum = run.exit_code == 1 ? NULL : summary(&run);
    if (sum != NULL) {
        g_assert_cmpint(json_object_get_int_member(sum, "max-downtime-ms"), ==, cap);
        g_assert_false(json_object_get_boolean_member(sum, "cap-broken"));
    }
    if (row->exit_code >= 0)
        g_assert_cmpint(run.exit_code, ==, row->exit_code);
    if (row->outcome != NULL)
        g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, row->outcome);
    if (row->reconnects)
        g_assert_cmpint(json_object_get_int_member_with_default(sum, "reconnects", 0), >=, 1);
    sent_limits(&run, &highest, &last);
    g_test_message("limits sent: highest %" G_GINT64_FORMAT ", last applied %" G_GINT64_FORMAT
                   " ms; cap %" G_GINT64_FORMAT " ms, reserve %" G_GINT64_FORMAT " ms",
                   highest, last, cap, reserve);
    g_assert_cmpint(highest, <=, cap - reserve);

    /* the final state, as the source QEMU reports it */
    migrate = cv_test_sim_query(sim.sock, "{\"execute\":\"query-migrate\"}\r\n");
    params = cv_test_sim_query(sim.sock, "{\"execute\":\"query-migrate-parameters\"}\r\n");
    mig = json_node_get_object(migrate);
    par = json_node_get_object(params);
    status = json_object_get_string_member(mig, "status");
    left = json_object_get_int_member(par, "downtime-limit");
    if (sum != NULL)
        g_test_message("outcome %s, restore failures %" G_GINT64_FORMAT ", restore skipped %d",
                       json_object_get_string_member(sum, "outcome"),
                       json_object_get_int_member(sum, "restore-failures"),
                       json_object_get_boolean_member(sum, "restore-skipped"));
    g_test_message("QEMU: status %s, downtime-limit %" G_GINT64_FORMAT " ms", status, left);
    if (row->qemu_status != NULL)
        g_assert_cmpstr(status, ==, row->qemu_status);
    g_assert_cmpint(left, <=, cap - reserve);
    /* whatever the limit on the source is, it is ours or the original */
    g_assert_true(left == 300 || was_sent(&run, left));
    if (g_str_equal(status, "completed")) {
        /* the promise: QEMU's achieved pause within the cap */
        g_assert_true(json_object_has_member(mig, "downtime"));
        g_test_message("achieved downtime %" G_GINT64_FORMAT " ms",
                       json_object_get_int_member(mig, "downtime"));
        g_assert_cmpint(json_object_get_int_member(mig, "downtime"), <=, cap);
    }
    switch (run.exit_code) {
    case 0:
        /* completed, and the tuner says so with QEMU's numbers; a completed migration keeps
         * what was set, and the tuner names the limit the source holds */
        g_assert_cmpstr(status, ==, "completed");
        g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
        g_assert_cmpint(json_object_get_int_member(sum, "downtime-ms"), ==,
                        json_object_get_int_member(mig, "downtime"));
        g_assert_cmpint(left, ==, json_object_get_int_member(sum, "downtime-limit-ms"));
        break;
    case 1:
        /* refused before any change, with a clear error: nothing changed on the source */
        g_assert_nonnull(strstr(run.err, "not a JSON object"));
        g_assert_cmpint(highest, ==, -1);
        g_assert_cmpint(left, ==, 300);
        break;
    case 4:
        /* ended by the policy (abort): what the tuner changed was restored */
        g_assert_cmpstr(status, ==, "cancelled");
        g_assert_cmpint(left, ==, 300);
        break;
    case 5:
        /* the tuner lost QEMU: it exited saying so; the migration goes on without it */
        g_assert_nonnull(strstr(run.err, "QEMU"));
        g_assert_true(g_str_equal(status, "active") || g_str_equal(status, "device") ||
                      g_str_equal(status, "completed"));
        if (row->restorable) {
            /* a last connection could be made: our value is gone from the source */
            g_assert_cmpint(left, ==, 300);
        } else if (!g_str_equal(status, "completed")) {
            /* none could: said so (a failed or skipped restore), and our value, within the
             * cap, stays on a migration that goes on */
            g_assert_true(json_object_get_int_member(sum, "restore-failures") > 0 ||
                          json_object_get_boolean_member(sum, "restore-skipped"));
        }
        break;
    default:
        g_error("unexpected exit status %d", run.exit_code);
    }
    /* the simulator still answers (it just did), and it did not die under the fault */
    g_assert_nonnull(g_subprocess_get_identifier(sim.process));
    run_clear(&run);
    cv_test_sim_stop(&sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/fault/qmp/%s", rows[i].name);

        g_test_add_data_func(path, &rows[i], test_fault);
    }
    return g_test_run();
}
