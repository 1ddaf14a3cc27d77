/* CvReconnector against the fake target and a manual clock: a new connection and a fresh read,
 * tries further apart each time, giving up, cancelling, and no callback after free. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-reconnector.h"
#include "cv-target-fake.h"

typedef struct {
    CvClock *clock;
    CvTarget *target;
    CvReconnector *reconnector;
    guint n_done;
    gboolean got_params;
    CvParams params;
    GError *error;
    GArray *waits; /* guint64 */
} Fixture;

static void
done_cb(CvReconnector *reconnector, const CvParams *params, const GError *error, gpointer user_data)
{
    Fixture *f = user_data;

    f->n_done++;
    f->got_params = params != NULL;
    if (params != NULL)
        f->params = *params;
    g_clear_error(&f->error);
    if (error != NULL)
        f->error = g_error_copy(error);
}

static void
retry_cb(CvReconnector *reconnector, const GError *error, guint64 wait_ms, gpointer user_data)
{
    g_array_append_val(((Fixture *)user_data)->waits, wait_ms);
}

static void
run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
advance(Fixture *f, gint64 ms)
{
    for (gint64 done = 0; done < ms; done += 10) {
        cv_clock_manual_advance(f->clock, 10);
        run_pending();
    }
}

static void
fixture_init(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    memset(f, 0, sizeof(*f));
    f->clock = cv_clock_new_manual(0);
    f->target = cv_target_fake_new(NULL);
    g_assert_true(cv_target_connect_sync(f->target, &error));
    f->reconnector = cv_reconnector_new(f->target, f->clock);
    f->waits = g_array_new(FALSE, FALSE, sizeof(guint64));
}

static void
fixture_clear(Fixture *f)
{
    g_clear_pointer(&f->reconnector, cv_reconnector_free);
    g_clear_pointer(&f->target, cv_target_free);
    g_clear_pointer(&f->clock, cv_clock_free);
    g_clear_error(&f->error);
    g_array_unref(f->waits);
    run_pending();
}

/* The old connection is closed first; the new one is read from scratch. */
static void
test_first_try(void)
{
    Fixture f;

    fixture_init(&f);
    cv_target_fake_hang(f.target);
    cv_target_fake_change_param(f.target, "downtime-limit", 700);
    cv_reconnector_start(f.reconnector, 3, done_cb, retry_cb, &f);
    g_assert_true(cv_reconnector_is_running(f.reconnector));
    run_pending();
    g_assert_cmpuint(f.n_done, ==, 1);
    g_assert_true(f.got_params);
    g_assert_cmpuint(f.params.downtime_limit_ms.value, ==, 700);
    g_assert_false(cv_reconnector_is_running(f.reconnector));
    g_assert_cmpuint(cv_reconnector_get_n_tries(f.reconnector), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "close"), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 2);
    g_assert_true(cv_target_is_connected(f.target));
    fixture_clear(&f);
}

/* Refused, refused, then accepted: 1 s, then 2 s between tries. */
static void
test_backoff_then_success(void)
{
    Fixture f;

    fixture_init(&f);
    cv_target_fake_set_dead(f.target, TRUE);
    cv_reconnector_start(f.reconnector, 3, done_cb, retry_cb, &f);
    run_pending();
    g_assert_cmpuint(f.waits->len, ==, 1);
    g_assert_cmpuint(g_array_index(f.waits, guint64, 0), ==, 1000);
    advance(&f, 990);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 2);
    advance(&f, 10);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 3);
    g_assert_cmpuint(g_array_index(f.waits, guint64, 1), ==, 2000);
    cv_target_fake_set_dead(f.target, FALSE);
    advance(&f, 2000);
    g_assert_cmpuint(f.n_done, ==, 1);
    g_assert_true(f.got_params);
    g_assert_cmpuint(cv_reconnector_get_n_tries(f.reconnector), ==, 3);
    fixture_clear(&f);
}

/* Every try refused: given up after the last, with its error. */
static void
test_give_up(void)
{
    Fixture f;

    fixture_init(&f);
    cv_target_fake_set_dead(f.target, TRUE);
    cv_reconnector_start(f.reconnector, 2, done_cb, retry_cb, &f);
    advance(&f, 10000);
    g_assert_cmpuint(f.n_done, ==, 1);
    g_assert_false(f.got_params);
    g_assert_error(f.error, CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT);
    g_assert_cmpuint(cv_reconnector_get_n_tries(f.reconnector), ==, 2);
    g_assert_cmpuint(f.waits->len, ==, 1);
    fixture_clear(&f);
}

/* Cancelled while waiting for the next try: no try, no callback. Freed with a connect in
 * flight: its callback reaches nobody (ASan). */
static void
test_cancel_and_free(void)
{
    Fixture f;

    fixture_init(&f);
    cv_target_fake_set_dead(f.target, TRUE);
    cv_reconnector_start(f.reconnector, 3, done_cb, retry_cb, &f);
    run_pending();
    cv_reconnector_cancel(f.reconnector);
    advance(&f, 10000);
    g_assert_cmpuint(f.n_done, ==, 0);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 2);
    cv_target_fake_set_dead(f.target, FALSE);
    cv_reconnector_start(f.reconnector, 3, done_cb, retry_cb, &f);
    g_clear_pointer(&f.reconnector, cv_reconnector_free);
    advance(&f, 100);
    g_assert_cmpuint(f.n_done, ==, 0);
    fixture_clear(&f);
}

/* The rule for when to reconnect: one timeout is retried, the second in a row re-opens the
 * connection; an answer in between starts the count again, and so does a new connection; after
 * CV_RECONNECTOR_MAX_RECONNECTS new connections the peer counts as gone. */
static void
test_timeouts(void)
{
    Fixture f;

    fixture_init(&f);
    g_assert_false(cv_reconnector_note_timeout(f.reconnector));
    cv_reconnector_note_answer(f.reconnector);
    g_assert_false(cv_reconnector_note_timeout(f.reconnector));
    g_assert_true(cv_reconnector_note_timeout(f.reconnector));
    for (guint i = 1; i <= CV_RECONNECTOR_MAX_RECONNECTS; i++) {
        g_assert_false(cv_reconnector_is_exhausted(f.reconnector));
        cv_reconnector_start(f.reconnector, 1, done_cb, retry_cb, &f);
        run_pending();
        g_assert_true(f.got_params);
        g_assert_cmpuint(cv_reconnector_get_n_reconnects(f.reconnector), ==, i);
        /* a new connection: its first timeout is retried again */
        g_assert_false(cv_reconnector_note_timeout(f.reconnector));
        g_assert_true(cv_reconnector_note_timeout(f.reconnector));
    }
    g_assert_true(cv_reconnector_is_exhausted(f.reconnector));
    /* a run that gives up is no reconnect */
    cv_target_fake_set_dead(f.target, TRUE);
    cv_reconnector_start(f.reconnector, 1, done_cb, retry_cb, &f);
    run_pending();
    g_assert_false(f.got_params);
    g_assert_cmpuint(cv_reconnector_get_n_reconnects(f.reconnector), ==,
                     CV_RECONNECTOR_MAX_RECONNECTS);
    fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/reconnector/first-try", test_first_try);
    g_test_add_func("/reconnector/backoff-then-success", test_backoff_then_success);
    g_test_add_func("/reconnector/give-up", test_give_up);
    g_test_add_func("/reconnector/timeouts", test_timeouts);
    g_test_add_func("/reconnector/cancel-and-free", test_cancel_and_free);
    return g_test_run();
}
