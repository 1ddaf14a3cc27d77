/* The simulator as the tests that drive virt-converge against it start it: one
 * virt-converge-sim process on a private socket, and a QMP client of the test's own. */
#pragma once

#include <gio/gio.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *dir;
    gchar *sock;
    GSubprocess *process;
} CvTestSim;

/* A built binary of this tree: build/@dir/@name. g_free(). */
gchar *cv_test_binary(const gchar *dir, const gchar *name);

/* virt-converge-sim on @sim->sock with @scenario at @speed, seed 1, its migration started
 * (@start) or left for a client to start. Dies with the test, whatever kills it. */
void cv_test_sim_start(CvTestSim *sim, const gchar *scenario, const gchar *speed, gboolean start);
void cv_test_sim_stop(CvTestSim *sim);

/* Another QMP client on the simulator (which, unlike QEMU, serves several at once): send
 * @command (a JSON object and its CRLF) and return its "return" member. json_node_unref(). */
JsonNode *cv_test_sim_query(const gchar *sock, const gchar *command);

G_END_DECLS
