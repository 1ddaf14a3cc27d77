/* CvSampler against the fake target and a manual clock: one query in flight, pass events read
 * at once (the boundary) and coalesced to one per interval without reading mid-iteration,
 * status events, polls, final-stats retries, errors counted, and no callback after stop/free. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-sampler.h"
#include "cv-target-fake.h"

typedef struct {
    CvClock *clock;
    CvTarget *target;
    CvSampler *sampler;
    GArray *reads;  /* CvSampleRead of each reading */
    GArray *passes; /* guint64: the pass each reading saw */
    guint n_errors;
    guint last_consecutive;
    guint n_ticks;
} Fixture;

static void
sample_cb(CvSampler *sampler, const CvSample *s, CvSampleRead read, gpointer user_data)
{
    Fixture *f = user_data;
    guint64 pass = s->ram_dirty_sync_count.value;

    g_array_append_val(f->reads, read);
    g_array_append_val(f->passes, pass);
}

static void
error_cb(CvSampler *sampler, const GError *error, guint consecutive, gpointer user_data)
{
    Fixture *f = user_data;

    f->n_errors++;
    f->last_consecutive = consecutive;
}

static void
tick_cb(CvSampler *sampler, gpointer user_data)
{
    ((Fixture *)user_data)->n_ticks++;
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
    for (gint64 done = 0; done < ms; done++) {
        cv_clock_manual_advance(f->clock, 1);
        run_pending();
    }
}

static void
set_pass(Fixture *f, guint64 pass)
{
    CvSample *s = cv_target_fake_get_sample(f->target);

    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->ram_dirty_sync_count, pass);
}

static void
fixture_init(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    memset(f, 0, sizeof(*f));
    f->clock = cv_clock_new_manual(1000);
    f->target = cv_target_fake_new(NULL);
    g_assert_true(cv_target_connect_sync(f->target, &error));
    f->sampler = cv_sampler_new(f->target, f->clock, 1000, 250);
    f->reads = g_array_new(FALSE, FALSE, sizeof(CvSampleRead));
    f->passes = g_array_new(FALSE, FALSE, sizeof(guint64));
    cv_sampler_set_funcs(f->sampler, sample_cb, error_cb, tick_cb, f);
    set_pass(f, 1);
    cv_sampler_start(f->sampler);
    run_pending();
}

static void
fixture_clear(Fixture *f)
{
    g_clear_pointer(&f->sampler, cv_sampler_free);
    g_clear_pointer(&f->target, cv_target_free);
    g_clear_pointer(&f->clock, cv_clock_free);
    g_array_unref(f->reads);
    g_array_unref(f->passes);
    run_pending();
}

static guint
count_reads(Fixture *f, CvSampleRead read)
{
    guint n = 0;

    for (guint i = 0; i < f->reads->len; i++)
        n += g_array_index(f->reads, CvSampleRead, i) == read ? 1 : 0;
    return n;
}

/* A query at start, then one per poll interval, each after a tick. */
static void
test_polls(void)
{
    Fixture f;

    fixture_init(&f);
    g_assert_cmpuint(f.reads->len, ==, 1);
    advance(&f, 3000);
    g_assert_cmpuint(f.reads->len, ==, 4);
    g_assert_cmpuint(f.n_ticks, ==, 3);
    g_assert_cmpuint(count_reads(&f, CV_SAMPLE_READ_POLL), ==, 4);
    g_assert_cmpuint(cv_sampler_get_n_queries(f.sampler), ==, 4);
    g_assert_false(cv_sampler_saw_pass_events(f.sampler));
    fixture_clear(&f);
}

/* A pass event is read at once: that reading is the boundary. */
static void
test_pass_read_at_once(void)
{
    Fixture f;

    fixture_init(&f);
    set_pass(&f, 2);
    cv_sampler_pass_event(f.sampler, 2);
    run_pending();
    g_assert_cmpuint(f.reads->len, ==, 2);
    g_assert_cmpint(g_array_index(f.reads, CvSampleRead, 1), ==, CV_SAMPLE_READ_AT_PASS);
    g_assert_true(cv_sampler_saw_pass_events(f.sampler));
    fixture_clear(&f);
}

/* 1000 passes a second (drained RAM, a device-heavy guest): one reading per interval, and each
 * one follows a pass event instead of landing mid-iteration on a timer. */
static void
test_pass_coalesced(void)
{
    Fixture f;
    guint at_pass;

    fixture_init(&f);
    for (guint ms = 0; ms < 10000; ms++) {
        set_pass(&f, 2 + ms);
        cv_sampler_pass_event(f.sampler, 2 + ms);
        advance(&f, 1);
    }
    at_pass = count_reads(&f, CV_SAMPLE_READ_AT_PASS);
    /* about 10000 / 251, plus the polls (10) and the start */
    g_assert_cmpuint(at_pass, >=, 10000 / 260);
    g_assert_cmpuint(at_pass, <=, 10000 / 250 + 1);
    g_assert_cmpuint(cv_sampler_get_n_queries(f.sampler), <=, 10000 / 250 + 1 + 10 + 1);
    fixture_clear(&f);
}

/* A pass inside the interval arms the next one; a poll meanwhile is a plain poll. */
static void
test_pass_armed(void)
{
    Fixture f;

    fixture_init(&f);
    set_pass(&f, 2);
    cv_sampler_pass_event(f.sampler, 2);
    run_pending();
    advance(&f, 100);
    set_pass(&f, 3);
    cv_sampler_pass_event(f.sampler, 3); /* inside the interval: not read */
    run_pending();
    g_assert_cmpuint(count_reads(&f, CV_SAMPLE_READ_AT_PASS), ==, 1);
    advance(&f, 500); /* the interval is over: nothing read without an event */
    g_assert_cmpuint(count_reads(&f, CV_SAMPLE_READ_AT_PASS), ==, 1);
    set_pass(&f, 4);
    cv_sampler_pass_event(f.sampler, 4);
    run_pending();
    g_assert_cmpuint(count_reads(&f, CV_SAMPLE_READ_AT_PASS), ==, 2);
    g_assert_cmpuint(g_array_index(f.passes, guint64, f.passes->len - 1), ==, 4);
    fixture_clear(&f);
}

/* At most one query in flight: events that come while one is out wait for its reply. */
static void
test_one_in_flight(void)
{
    Fixture f;

    fixture_init(&f);
    advance(&f, 300);
    cv_target_fake_hold(f.target, TRUE);
    cv_sampler_status_event(f.sampler);
    for (guint i = 0; i < 100; i++)
        cv_sampler_pass_event(f.sampler, 2 + i);
    cv_sampler_status_event(f.sampler);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), ==, 2);
    cv_target_fake_hold(f.target, FALSE);
    run_pending();
    /* the status reply, then one boundary read for the events that came meanwhile */
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), ==, 3);
    g_assert_cmpint(g_array_index(f.reads, CvSampleRead, f.reads->len - 1), ==,
                    CV_SAMPLE_READ_AT_PASS);
    fixture_clear(&f);
}

/* QEMU says completed before it stored the final figures: read again shortly, ten times at
 * most. */
static void
test_final_retries(void)
{
    Fixture f;
    CvSample *s;
    guint retries = 0;

    fixture_init(&f);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&s->total_time_ms, 0);
    cv_field_set(&s->downtime_ms, 0);
    while (cv_sampler_retry_final(f.sampler, s)) {
        guint before = f.reads->len;

        retries++;
        advance(&f, 49);
        g_assert_cmpuint(f.reads->len, ==, before);
        advance(&f, 1);
        g_assert_cmpuint(f.reads->len, ==, before + 1);
    }
    g_assert_cmpuint(retries, ==, 10);
    fixture_clear(&f);

    /* complete figures need no retry */
    fixture_init(&f);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&s->total_time_ms, 22902);
    cv_field_set(&s->downtime_ms, 67);
    g_assert_false(cv_sampler_retry_final(f.sampler, s));
    fixture_clear(&f);
}

static void
test_errors_counted(void)
{
    Fixture f;

    fixture_init(&f);
    cv_target_fake_fail(f.target, "query-migrate", 3, CV_TARGET_ERROR_FAILED);
    advance(&f, 3000);
    g_assert_cmpuint(f.n_errors, ==, 3);
    g_assert_cmpuint(f.last_consecutive, ==, 3);
    advance(&f, 1000);
    cv_target_fake_fail(f.target, "query-migrate", 1, CV_TARGET_ERROR_FAILED);
    advance(&f, 1000);
    g_assert_cmpuint(f.last_consecutive, ==, 1); /* a success in between */
    fixture_clear(&f);
}

/* Stopped or freed with a query in flight: its reply reaches nobody (ASan). */
static void
test_stop_and_free_in_flight(void)
{
    Fixture f;
    guint before;

    fixture_init(&f);
    before = f.reads->len;
    cv_sampler_query_now(f.sampler);
    cv_sampler_stop(f.sampler);
    run_pending();
    g_assert_cmpuint(f.reads->len, ==, before);
    advance(&f, 5000);
    g_assert_cmpuint(f.reads->len, ==, before);
    cv_sampler_start(f.sampler);
    g_clear_pointer(&f.sampler, cv_sampler_free);
    run_pending();
    g_assert_cmpuint(f.reads->len, ==, before);
    fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sampler/polls", test_polls);
    g_test_add_func("/sampler/pass/read-at-once", test_pass_read_at_once);
    g_test_add_func("/sampler/pass/coalesced", test_pass_coalesced);
    g_test_add_func("/sampler/pass/armed", test_pass_armed);
    g_test_add_func("/sampler/one-in-flight", test_one_in_flight);
    g_test_add_func("/sampler/final-retries", test_final_retries);
    g_test_add_func("/sampler/errors-counted", test_errors_counted);
    g_test_add_func("/sampler/stop-and-free-in-flight", test_stop_and_free_in_flight);
    return g_test_run();
}
