/* CvLink, the shared-link admission rule: table tests, one GTest path per scenario, each a list
 * of steps (a request or a release at a time) with what the link must say after it. */
#include "config.h"

#include <glib.h>

#include "cv-link.h"

typedef enum {
    ASK = 0, /* cv_link_request */
    LEAVE,   /* cv_link_release */
} Op;

typedef struct {
    Op op;
    const gchar *id;
    gint64 at_ms;
    CvLinkVerdict verdict; /* ASK only */
    const gchar *holder;   /* after the step; NULL = free */
    const gchar *expired;  /* ASK only: the holder whose lease ran out, NULL = none */
    guint n_waiting;
} Step;

#define END                                                                                        \
    {                                                                                              \
        LEAVE, NULL, 0, 0, NULL, NULL, 0                                                           \
    }

typedef struct {
    const gchar *name;
    Step steps[12];
} Scenario;

#define L CV_LINK_LEASE_MS
#define S CV_LINK_STALE_MS

static const Scenario scenarios[] = {
    {"alone",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      /* asking again (a second raise) keeps it */
      {ASK, "a", 2000, CV_LINK_GRANTED, "a", NULL, 0},
      {LEAVE, "a", 3000, 0, NULL, NULL, 0},
      END}},
    {"second-waits-then-goes",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 100, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "b", 1100, CV_LINK_HELD, "a", NULL, 1},
      /* a's migration ended */
      {LEAVE, "a", 2000, 0, NULL, NULL, 1},
      {ASK, "b", 2100, CV_LINK_GRANTED, "b", NULL, 0},
      END}},
    {"first-come-first-served",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 100, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "c", 200, CV_LINK_HELD, "a", NULL, 2},
      {LEAVE, "a", 1000, 0, NULL, NULL, 2},
      /* c asks first after a left, but b was in line before it */
      {ASK, "c", 1100, CV_LINK_HELD, NULL, NULL, 2},
      {ASK, "b", 1200, CV_LINK_GRANTED, "b", NULL, 1},
      {ASK, "c", 1300, CV_LINK_HELD, "b", NULL, 1},
      {LEAVE, "b", 2000, 0, NULL, NULL, 1},
      {ASK, "c", 2100, CV_LINK_GRANTED, "c", NULL, 0},
      END}},
    {"waiter-leaves",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 100, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "c", 200, CV_LINK_HELD, "a", NULL, 2},
      /* b converged on its own (or yielded): its place goes */
      {LEAVE, "b", 300, 0, "a", NULL, 1},
      {LEAVE, "a", 400, 0, NULL, NULL, 1},
      {ASK, "c", 500, CV_LINK_GRANTED, "c", NULL, 0},
      END}},
    {"stale-waiter-loses-its-place",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 100, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "c", 200, CV_LINK_HELD, "a", NULL, 2},
      {ASK, "c", S, CV_LINK_HELD, "a", NULL, 2},
      {LEAVE, "a", S + 50, 0, NULL, NULL, 2},
      /* b stopped asking more than S ago: c goes */
      {ASK, "c", S + 200, CV_LINK_GRANTED, "c", NULL, 0},
      END}},
    {"lease-runs-out-while-others-wait",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 1000, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "b", 20000, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "b", 40000, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "b", L, CV_LINK_HELD, "a", NULL, 1},
      /* a has held it longer than its lease: b goes, a to the back of the line */
      {ASK, "b", L + 1, CV_LINK_GRANTED, "b", "a", 1},
      {ASK, "a", L + 100, CV_LINK_HELD, "b", NULL, 1},
      END}},
    {"lease-without-waiters-keeps",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "a", 5 * L, CV_LINK_GRANTED, "a", NULL, 0},
      END}},
    {"lease-expiry-serves-the-line-in-order",
     {{ASK, "a", 0, CV_LINK_GRANTED, "a", NULL, 0},
      {ASK, "b", 1000, CV_LINK_HELD, "a", NULL, 1},
      {ASK, "c", 2000, CV_LINK_HELD, "a", NULL, 2},
      {ASK, "b", 25000, CV_LINK_HELD, "a", NULL, 2},
      {ASK, "c", 26000, CV_LINK_HELD, "a", NULL, 2},
      {ASK, "b", 45000, CV_LINK_HELD, "a", NULL, 2},
      {ASK, "c", 50000, CV_LINK_HELD, "a", NULL, 2},
      /* c asks first after the lease: a loses it, but b is ahead of c */
      {ASK, "c", L + 10, CV_LINK_HELD, NULL, "a", 3},
      {ASK, "b", L + 20, CV_LINK_GRANTED, "b", NULL, 2},
      END}},
    {"release-unknown-is-harmless",
     {{LEAVE, "x", 0, 0, NULL, NULL, 0},
      {ASK, "a", 10, CV_LINK_GRANTED, "a", NULL, 0},
      {LEAVE, "x", 20, 0, "a", NULL, 0},
      END}},
};

static void
test_scenario(gconstpointer data)
{
    const Scenario *sc = data;
    g_autoptr(CvLink) link = cv_link_new(125000000);

    for (guint i = 0; i < G_N_ELEMENTS(sc->steps) && sc->steps[i].id != NULL; i++) {
        const Step *st = &sc->steps[i];
        const gchar *expired = "unset";

        if (g_test_verbose())
            g_printerr("  step %u: %s %s at %" G_GINT64_FORMAT "\n", i,
                       st->op == ASK ? "ask" : "leave", st->id, st->at_ms);
        if (st->op == ASK) {
            g_assert_cmpint(cv_link_request(link, st->id, st->at_ms, &expired), ==, st->verdict);
            g_assert_cmpstr(expired, ==, st->expired);
            if (st->verdict == CV_LINK_GRANTED)
                g_assert_cmpint(cv_link_get_position(link, st->id), ==, 0);
            else
                g_assert_cmpint(cv_link_get_position(link, st->id), >, 0);
        } else {
            cv_link_release(link, st->id);
            g_assert_cmpint(cv_link_get_position(link, st->id), ==, -1);
        }
        g_assert_cmpstr(cv_link_get_holder(link), ==, st->holder);
        g_assert_cmpuint(cv_link_get_n_waiting(link), ==, st->n_waiting);
    }
    g_assert_cmpuint(cv_link_get_rate(link), ==, 125000000);
}

/* Whoever holds the link is never also in line, and the line has no duplicates. */
static void
test_positions(void)
{
    g_autoptr(CvLink) link = cv_link_new(0);

    g_assert_cmpint(cv_link_request(link, "a", 0, NULL), ==, CV_LINK_GRANTED);
    g_assert_cmpint(cv_link_request(link, "b", 1, NULL), ==, CV_LINK_HELD);
    g_assert_cmpint(cv_link_request(link, "b", 2, NULL), ==, CV_LINK_HELD);
    g_assert_cmpint(cv_link_request(link, "c", 3, NULL), ==, CV_LINK_HELD);
    g_assert_cmpint(cv_link_get_position(link, "a"), ==, 0);
    g_assert_cmpint(cv_link_get_position(link, "b"), ==, 1);
    g_assert_cmpint(cv_link_get_position(link, "c"), ==, 2);
    g_assert_cmpint(cv_link_get_position(link, "d"), ==, -1);
    g_assert_cmpuint(cv_link_get_n_waiting(link), ==, 2);
    cv_link_set_rate(link, 42);
    g_assert_cmpuint(cv_link_get_rate(link), ==, 42);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        g_autofree gchar *path = g_strdup_printf("/link/%s", scenarios[i].name);

        g_test_add_data_func(path, &scenarios[i], test_scenario);
    }
    g_test_add_func("/link/positions", test_positions);
    return g_test_run();
}
