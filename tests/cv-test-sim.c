#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-test-sim.h"

gchar *
cv_test_binary(const gchar *dir, const gchar *name)
{
    return g_test_build_filename(G_TEST_BUILT, "..", dir, name, NULL);
}

static void
child_setup(gpointer user_data)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)GPOINTER_TO_INT(user_data))
        _exit(127);
}

void
cv_test_sim_start(CvTestSim *sim, const gchar *scenario, const gchar *speed, gboolean start)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autofree gchar *bin = cv_test_binary("sim", "virt-converge-sim");
    g_autoptr(GError) error = NULL;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    sim->dir = g_dir_make_tmp("cv-test-XXXXXX", &error);
    g_assert_no_error(error);
    sim->sock = g_build_filename(sim->dir, "qmp.sock", NULL);
    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                         G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    /* the simulator dies with the test, whatever kills it (an assertion, meson's timeout) */
    g_subprocess_launcher_set_child_setup(launcher, child_setup, GINT_TO_POINTER(getpid()), NULL);
    sim->process = g_subprocess_launcher_spawn(launcher, &error, bin, "--socket", sim->sock,
                                               "--scenario", scenario, "--speed", speed, "--seed",
                                               "1", start ? "--start" : NULL, NULL);
    g_assert_no_error(error);
    while (!g_file_test(sim->sock, G_FILE_TEST_EXISTS) && g_get_monotonic_time() < deadline)
        g_usleep(10000);
    g_assert_true(g_file_test(sim->sock, G_FILE_TEST_EXISTS));
    g_usleep(100000);
}

void
cv_test_sim_stop(CvTestSim *sim)
{
    g_subprocess_send_signal(sim->process, SIGTERM);
    g_subprocess_wait(sim->process, NULL, NULL);
    g_clear_object(&sim->process);
    g_unlink(sim->sock);
    g_rmdir(sim->dir);
    g_free(sim->sock);
    g_free(sim->dir);
}

JsonNode *
cv_test_sim_query(const gchar *sock, const gchar *command)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(sock);
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    GOutputStream *out;
    g_autoptr(GError) error = NULL;
    const gchar *sends[] = {"{\"execute\":\"qmp_capabilities\"}\r\n", command, NULL};
    JsonNode *result = NULL;

    connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);
    g_assert_no_error(error);
    in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    g_free(g_data_input_stream_read_line(in, NULL, NULL, &error)); /* greeting */
    g_assert_no_error(error);
    for (guint i = 0; sends[i] != NULL; i++) {
        g_assert_true(
            g_output_stream_write_all(out, sends[i], strlen(sends[i]), NULL, NULL, &error));
        g_assert_no_error(error);
        for (;;) {
            g_autofree gchar *line = g_data_input_stream_read_line(in, NULL, NULL, &error);
            g_autoptr(JsonParser) parser = json_parser_new();
            JsonObject *o;

            g_assert_no_error(error);
            g_assert_nonnull(line);
            g_assert_true(json_parser_load_from_data(parser, line, -1, &error));
            o = json_node_get_object(json_parser_get_root(parser));
            if (json_object_has_member(o, "event"))
                continue;
            g_assert_true(json_object_has_member(o, "return"));
            if (sends[i + 1] == NULL)
                result = json_node_copy(json_object_get_member(o, "return"));
            break;
        }
    }
    return result;
}
