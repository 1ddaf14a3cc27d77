/* Scenario files of virt-converge-sim: GKeyFile descriptions of a guest, its workload, its
 * VFIO devices and the link, loaded and validated completely before a model is built. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_SIM_SCENARIO_ERROR (cv_sim_scenario_error_quark())
GQuark cv_sim_scenario_error_quark(void);

typedef enum {
    CV_SIM_SCENARIO_ERROR_NOT_FOUND = 0, /* no scenario of that name in the search path */
    CV_SIM_SCENARIO_ERROR_PARSE,         /* not a key file */
    CV_SIM_SCENARIO_ERROR_INVALID,       /* unknown group or key, bad value, missing key */
} CvSimScenarioErrorCode;

/* The QEMU whose reply format and semantics the simulator follows. */
typedef enum {
    CV_SIM_QEMU_7_2 = 0,
    CV_SIM_QEMU_8_2,
    CV_SIM_QEMU_11_1,
} CvSimQemuVersion;

#define CV_SIM_QEMU_N_VERSIONS 3

const gchar *cv_sim_qemu_version_to_string(CvSimQemuVersion version);
gboolean cv_sim_qemu_version_from_string(const gchar *str, CvSimQemuVersion *version);

/* What a VFIO driver reports as its stop-copy size (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE). */
typedef enum {
    CV_SIM_GARBAGE_NONE = 0,    /* the true size */
    CV_SIM_GARBAGE_HUGE,        /* the ioctl failed: QEMU's 100 GiB placeholder */
    CV_SIM_GARBAGE_WRAPPING,    /* a negative size read as unsigned: above INT64_MAX */
    CV_SIM_GARBAGE_FLUCTUATING, /* a different value at each query, 0.5x to 4x the truth */
} CvSimGarbage;

#define CV_SIM_GARBAGE_HUGE_BYTES (G_GUINT64_CONSTANT(100) << 30)

/* A value that changes in steps over migration time: value of the last step whose time is
 * <= t. The first step is always at t = 0. */
typedef struct {
    gdouble at;    /* seconds since `migrate` */
    gdouble value; /* unit depends on the key; rates in bytes/s or pages/s */
} CvSimStep;

typedef struct {
    GArray *steps; /* of CvSimStep, sorted, steps[0].at == 0 */
} CvSimSchedule;

gdouble cv_sim_schedule_value_at(const CvSimSchedule *schedule, gdouble t);
/* The time of the first step strictly after @t, or G_MAXDOUBLE when none. */
gdouble cv_sim_schedule_next_change(const CvSimSchedule *schedule, gdouble t);

typedef struct {
    gchar *name;             /* from the group name [vfio:NAME], e.g. a PCI address */
    guint64 precopy_bytes;   /* initial precopy data the device offers */
    guint64 stop_copy_bytes; /* what it must send with the guest stopped at first (the truth) */
    /* The truth over migration time, in bytes: a driver's state may grow late (a schedule of
     * sizes; a single value is constant and equals stop_copy_bytes). */
    CvSimSchedule stop_copy;
    /* Seconds since `migrate` at which the driver re-reports its initial bytes: precopy-bytes
     * of precopy data are pending again (drivers may do so after a reset). Sorted. */
    GArray *reinit_at;        /* of gdouble */
    CvSimSchedule dirty_rate; /* bytes/s of new precopy data while the guest runs */
    CvSimSchedule garbage;    /* CvSimGarbage values over time */
    gdouble downtime_cost;    /* seconds of fixed cost at switchover (stop, save, resume) */
} CvSimDevice;

typedef struct {
    gchar *name;
    gchar *path;
    gchar *description;
    guint versions;                   /* bit (1 << CvSimQemuVersion) per version that makes sense */
    CvSimQemuVersion default_version; /* used when --qemu-version is not given */

    /* [guest] */
    guint64 ram_bytes;
    guint64 page_size;
    guint64 ram_used_bytes;    /* non-zero pages at the start; the rest are zero pages */
    guint64 working_set_bytes; /* the pages the workload writes to */
    CvSimSchedule dirty_rate;  /* page writes per second, uniform over the working set */
    gdouble sync_time;         /* seconds one dirty-bitmap sync (exact pending query) takes */

    /* [migration] */
    CvSimSchedule precopy_rate; /* bytes/s the precopy stream achieves (and QEMU measures) */
    gdouble link_rate;          /* bytes/s during stop-copy and postcopy (unthrottled) */
    gdouble setup_time;         /* seconds */
    gdouble downtime_fixed;     /* seconds added to every switchover (vCPU stop, resume) */
    gdouble fail_after;         /* seconds after `migrate` when it fails; < 0: never */
    /* bytes/s of one link shared by every instance of the process (virt-converge-sim
     * --instances, the benchmark's concurrent migrations); 0 = each migration has its own */
    gdouble shared_link_rate;
    gchar *error_desc; /* error-desc of that failure */

    /* [parameters] and [capabilities]: initial values, as QEMU was started with */
    guint64 downtime_limit_ms;
    guint64 max_bandwidth;
    guint64 avail_switchover_bandwidth;
    guint64 max_postcopy_bandwidth;
    gboolean cap_events;
    gboolean cap_postcopy_ram;

    GPtrArray *devices; /* of CvSimDevice */
} CvSimScenario;

CvSimScenario *cv_sim_scenario_load_file(const gchar *path, GError **error);
/* @name_hint names the scenario when the data has no [scenario] name. */
CvSimScenario *cv_sim_scenario_load_data(const gchar *data, gssize len, const gchar *name_hint,
                                         GError **error);
void cv_sim_scenario_free(CvSimScenario *scenario);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSimScenario, cv_sim_scenario_free)

gboolean cv_sim_scenario_supports(const CvSimScenario *scenario, CvSimQemuVersion version);
gboolean cv_sim_scenario_has_vfio(const CvSimScenario *scenario);

/* The directories searched for NAME.scenario, in order: $CV_SIM_SCENARIO_DIR, the installed
 * pkgdatadir/scenarios, the source tree's data/scenarios. */
gchar **cv_sim_scenario_search_path(void);
/* NAME, or a path (anything containing '/' or ending in ".scenario") -> an existing file. */
gchar *cv_sim_scenario_find(const gchar *name_or_path, GError **error);
/* Sorted names of all scenarios found in the search path (first directory wins). */
gchar **cv_sim_scenario_list(void);

/* Value parsers, public for the tests. Sizes take B, KiB, MiB, GiB, TiB, KB, MB, GB, TB or
 * `pages` (needs @page_size); a bare number is bytes. */
gboolean cv_sim_parse_size(const gchar *str, guint64 page_size, guint64 *bytes, GError **error);
/* Rates: B/s, KiB/s, MiB/s, GiB/s, KB/s, MB/s, GB/s, bit/s, kbit/s, Mbit/s, Gbit/s or pages/s
 * (needs @page_size) -> bytes/s; a bare number is bytes/s. */
gboolean cv_sim_parse_rate(const gchar *str, guint64 page_size, gdouble *bytes_per_s,
                           GError **error);
/* Durations: us, ms, s, min -> seconds; a bare number is seconds. */
gboolean cv_sim_parse_duration(const gchar *str, gdouble *seconds, GError **error);
/* "VALUE@TIME, VALUE@TIME, ..." or a single VALUE; @parse_value turns each VALUE into a
 * double. Steps must start at 0 s (a single VALUE does) and strictly increase. */
typedef gboolean (*CvSimValueParser)(const gchar *str, guint64 page_size, gdouble *value,
                                     GError **error);
gboolean cv_sim_parse_schedule(const gchar *str, guint64 page_size, CvSimValueParser parse_value,
                               CvSimSchedule *schedule, GError **error);
void cv_sim_schedule_clear(CvSimSchedule *schedule);

G_END_DECLS
