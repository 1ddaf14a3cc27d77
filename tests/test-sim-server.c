/* The simulator's QMP server on its owner's clock (what the benchmark runs): time moves only
 * when the owner says so, and a migration started by the owner is the one QMP reports. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-sim-server.h"

typedef struct {
    gdouble now;
    gchar *dir;
    gchar *path;
    CvSimScenario *sc;
    CvSimServer *server;
    GSocketConnection *conn;
    GSocket *socket;
    GString *in;
} Fixture;

static gdouble
fixture_clock(gpointer user_data)
{
    return ((Fixture *)user_data)->now;
}

/* The next line from the server, running the main context (the server lives there). */
static gchar *
read_line(Fixture *fx)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (;;) {
        gchar buf[4096];
        gssize n;
        const gchar *nl = strstr(fx->in->str, "\r\n");

        if (nl != NULL) {
            gchar *line = g_strndup(fx->in->str, nl - fx->in->str);

            g_string_erase(fx->in, 0, nl - fx->in->str + 2);
            return line;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, FALSE);
        n = g_socket_receive(fx->socket, buf, sizeof(buf), NULL, NULL);
        if (n > 0)
            g_string_append_len(fx->in, buf, n);
        else
            g_usleep(1000);
    }
}

/* Send @command and return the "return" member of its reply; events before it are counted in
 * @events when given. */
static JsonNode *
call(Fixture *fx, const gchar *command, guint *events)
{
    g_autofree gchar *line = g_strconcat(command, "\r\n", NULL);

    g_assert_cmpint(g_socket_send(fx->socket, line, strlen(line), NULL, NULL), ==,
                    (gssize)strlen(line));
    for (;;) {
        g_autofree gchar *reply = read_line(fx);
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;

        g_assert_true(json_parser_load_from_data(parser, reply, -1, NULL));
        o = json_node_get_object(json_parser_get_root(parser));
        if (json_object_has_member(o, "event")) {
            if (events != NULL &&
                g_strcmp0(json_object_get_string_member(o, "event"), "MIGRATION_PASS") == 0)
                (*events)++;
            continue;
        }
        g_assert_true(json_object_has_member(o, "return"));
        return json_node_copy(json_object_get_member(o, "return"));
    }
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autofree gchar *scenario =
        g_build_filename(SOURCE_DATADIR, "scenarios", "ram-hog.scenario", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = NULL;
    CvSimServerOptions options = {CV_SIM_QEMU_11_1, 1, 1, FALSE, 0, 0, NULL};
    g_autofree gchar *greeting = NULL;
    g_autoptr(JsonNode) ret = NULL;

    fx->dir = g_dir_make_tmp("cv-sim-server-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "qmp.sock", NULL);
    fx->sc = cv_sim_scenario_load_file(scenario, &error);
    g_assert_no_error(error);
    fx->server = cv_sim_server_new(fx->sc, &options);
    cv_sim_server_set_clock(fx->server, fixture_clock, fx);
    g_assert_true(cv_sim_server_listen(fx->server, fx->path, &error));
    g_assert_no_error(error);
    address = g_unix_socket_address_new(fx->path);
    fx->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);
    g_assert_no_error(error);
    fx->socket = g_socket_connection_get_socket(fx->conn);
    g_socket_set_blocking(fx->socket, FALSE);
    fx->in = g_string_new(NULL);
    greeting = read_line(fx);
    g_assert_nonnull(strstr(greeting, "\"QMP\""));
    ret = call(fx, "{\"execute\":\"qmp_capabilities\"}", NULL);
    g_clear_pointer(&ret, json_node_unref);
    ret = call(fx,
               "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
               "[{\"capability\":\"events\",\"state\":true}]}}",
               NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    g_clear_object(&fx->conn);
    cv_sim_server_free(fx->server);
    cv_sim_scenario_free(fx->sc);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_unlink(fx->path);
    g_rmdir(fx->dir);
    g_free(fx->path);
    g_free(fx->dir);
    g_string_free(fx->in, TRUE);
}

static guint64
total_time(Fixture *fx)
{
    g_autoptr(JsonNode) ret = call(fx, "{\"execute\":\"query-migrate\"}", NULL);

    return (guint64)json_object_get_int_member(json_node_get_object(ret), "total-time");
}

/* Real time passes, the owner's clock does not: neither does the migration. */
static void
test_clock_holds(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->now = 5.0;
    g_assert_true(cv_sim_server_start_migration(fx->server, &error));
    g_assert_no_error(error);
    fx->now = 7.5;
    g_assert_cmpuint(total_time(fx), ==, 2500);
    g_usleep(200000);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_cmpuint(total_time(fx), ==, 2500);
}

/* Events happen when the owner catches the server up, with the virtual time of their own. */
static void
test_catch_up_sends_events(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ret = NULL;
    guint passes = 0;
    const CvSimModel *model = cv_sim_server_get_model(fx->server);
    CvSimTruth truth;

    g_assert_true(cv_sim_server_start_migration(fx->server, &error));
    /* ram-hog passes about once a second once the first pass (about 8 s) is over */
    for (gint i = 1; i <= 300; i++) {
        fx->now = i * 0.1;
        cv_sim_server_catch_up(fx->server);
    }
    ret = call(fx, "{\"execute\":\"query-migrate\"}", &passes);
    g_assert_cmpuint(passes, >=, 10);
    g_assert_cmpint(
        json_object_get_int_member(json_object_get_object_member(json_node_get_object(ret), "ram"),
                                   "dirty-sync-count"),
        ==, passes);
    cv_sim_model_get_truth(model, &truth);
    g_assert_false(truth.switched_over);
    g_assert_cmpfloat(truth.min_exact_bytes, >, 0);
    g_assert_cmpuint(truth.downtime_limit_ms, ==, 300);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/sim/server/clock-holds", Fixture, NULL, fixture_setup, test_clock_holds,
               fixture_teardown);
    g_test_add("/sim/server/catch-up-sends-events", Fixture, NULL, fixture_setup,
               test_catch_up_sends_events, fixture_teardown);
    return g_test_run();
}
