/* The decision engine, table driven: one GTest path per row, /policy/<group>/<name>.
 *
 * A row is a compact sample sequence (oldest first), the policy, the current parameters and
 * the history as short "key=value" strings over the defaults, and the expected decision:
 * kind, value range, verdict, estimate source, escalation progress, needed/predicted ranges
 * and reason substrings. Scenario tests at the end drive the engine call after call, with
 * cv_policy_history_record() in between, the way the tuner does. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cv-policy-private.h"
#include "cv-policy.h"

#define KIB G_GUINT64_CONSTANT(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* Sentinels for a field of a point: missing from the reply, or present but garbage. */
#define MISS (G_MAXUINT64 - 1)
#define BAD G_MAXUINT64
#define DMISS (-2.0)
#define DBAD (-1.0)

/* 1.91 GiB: the vGPU guest's flat system-wide remaining */
#define VG G_GUINT64_CONSTANT(2050846720)
/* 1 GiB/s in Mbit/s, as QEMU reports mbps */
#define GBPS_MBIT 8589.934592
/* The real 7.2 capture: 64 MiB/s max-bandwidth */
#define M72 537.1329599999999

typedef struct {
    gint64 t_ms;
    guint64 pass;      /* ram.dirty-sync-count; 0 ends the list */
    guint64 remaining; /* system-wide (QEMU 11.1+); 0 = not sent (older QEMU) */
    guint64 ram;       /* ram.remaining */
    guint64 expected;  /* expected-downtime, ms */
    gdouble mbps;      /* ram.mbps */
    guint64 dirty;     /* ram.dirty-pages-rate, 4 KiB pages/s */
    gboolean mid;      /* the caller flagged the reading mid-iteration */
} Pt;

#define P(t, pass, rem, ram, exp, mbps, dirty)                                                     \
    {                                                                                              \
        t, pass, rem, ram, exp, mbps, dirty, FALSE                                                 \
    }
/* A reading the tuner flags mid-iteration (a poll without pass events). */
#define PMID(t, pass, rem, ram, exp, mbps, dirty)                                                  \
    {                                                                                              \
        t, pass, rem, ram, exp, mbps, dirty, TRUE                                                  \
    }
#define MAX_PTS 20

typedef struct {
    const gchar *name;
    const gchar *policy;  /* over cv_policy_init_default(), switchover-reserve 0 */
    const gchar *params;  /* over "limit=300" (no avail-switchover-bandwidth: 7.2) */
    const gchar *history; /* over cv_policy_history_init() */
    const gchar *status;  /* the newest sample's status; NULL = active */
    gboolean vfio;        /* every sample carries vfio.transferred */
    guint64 ram_total;    /* 0 = 4 GiB */
    guint64 total_time;   /* the newest total-time: 0 = its t_ms, BAD = garbage */
    guint64 downtime;     /* completed: the downtime QEMU reports */
    Pt pts[MAX_PTS];

    CvDecisionKind kind;
    guint64 vmin, vmax; /* value range, for kinds with a value */
    CvVerdict verdict;
    CvEstimateSource source;
    guint esc_next;
    guint64 nmin, nmax; /* needed downtime; 0/0 = not checked */
    guint64 bmin, bmax; /* predicted blackout; 0/0 = not checked */
    const gchar *reason[4];
} Row;

/* --- sample series ------------------------------------------------------------------- */

/* QEMU 11.1, 2 GiB vGPU, RAM drained: 300 passes a second, remaining flat at 1.91 GiB. */
#define VGPU_PT(t, pass, exp) P(t, pass, VG, 4 * MIB, exp, GBPS_MBIT, 256)
#define VGPU_SERIES(exp)                                                                           \
    {                                                                                              \
        VGPU_PT(1000, 100, exp), VGPU_PT(2000, 400, exp), VGPU_PT(3000, 700, exp),                 \
            VGPU_PT(4000, 1000, exp), VGPU_PT(5000, 1300, exp), VGPU_PT(6000, 1600, exp),          \
            VGPU_PT(7000, 1900, exp), VGPU_PT(8000, 2200, exp), VGPU_PT(9000, 2500, exp),          \
            VGPU_PT(10000, 2800, exp), VGPU_PT(11000, 3100, exp), VGPU_PT(12000, 3400, exp),       \
            VGPU_PT(13000, 3700, exp)                                                              \
    }
/* Same guest before avail-switchover-bandwidth: QEMU's figure uses the measured 500 MB/s. */
#define VGPUM_PT(t, pass) P(t, pass, VG, 4 * MIB, 4102, 4000.0, 256)
#define VGPUM_SERIES                                                                               \
    {                                                                                              \
        VGPUM_PT(1000, 100), VGPUM_PT(2000, 400), VGPUM_PT(3000, 700), VGPUM_PT(4000, 1000),       \
            VGPUM_PT(5000, 1300), VGPUM_PT(6000, 1600), VGPUM_PT(7000, 1900),                      \
            VGPUM_PT(8000, 2200), VGPUM_PT(9000, 2500), VGPUM_PT(10000, 2800),                     \
            VGPUM_PT(11000, 3100), VGPUM_PT(12000, 3400), VGPUM_PT(13000, 3700)                    \
    }

/* QEMU 11.1, 7 GiB of fast-dirtying RAM at 1 GiB/s: needs 7000 ms, above any cap below. Times
 * start at 101 s so history timestamps a minute back stay positive. */
#define ESC_PT(t, pass) P(t, pass, 7 * GIB, 7 * GIB, 7000, GBPS_MBIT, 256)
#define ESC_SERIES                                                                                 \
    {                                                                                              \
        ESC_PT(101000, 100), ESC_PT(102000, 400), ESC_PT(103000, 700), ESC_PT(104000, 1000),       \
            ESC_PT(105000, 1300), ESC_PT(106000, 1600), ESC_PT(107000, 1900),                      \
            ESC_PT(108000, 2200), ESC_PT(109000, 2500), ESC_PT(110000, 2800),                      \
            ESC_PT(111000, 3100), ESC_PT(112000, 3400), ESC_PT(113000, 3700)                       \
    }

/* The real QEMU 7.2 series (qemu-7.2-r64-bw64-all-samples.json, transcribed by hand): 256 MiB
 * guest, 64 MiB dirtied continuously, max-bandwidth 64 MiB/s, polled every 0.5 s. */
#define Q72_HEAD P(506, 1, 0, 214544384, 300, M72, 0), P(1008, 1, 0, 110534656, 300, M72, 0)
#define Q72_TAIL                                                                                   \
    P(1510, 2, 0, 27918336, 999, M72, 16063), P(2011, 3, 0, 47009792, 999, M72, 16063),            \
        P(2512, 3, 0, 13504512, 999, M72, 16063), P(3013, 4, 0, 33607680, 999, M72, 16410),        \
        P(3514, 5, 0, 53710848, 999, M72, 16410), P(4015, 5, 0, 20205568, 999, M72, 16410),        \
        P(4516, 6, 0, 40308736, 999, M72, 16360), P(5017, 7, 0, 60411904, 999, M72, 16360),        \
        P(5518, 7, 0, 26906624, 999, M72, 16360)
#define Q72_SERIES                                                                                 \
    {                                                                                              \
        Q72_HEAD, Q72_TAIL, P(6019, 8, 0, 38805504, 999, 536.93712, 16360)                         \
    }
#define Q72_RAM_TOTAL G_GUINT64_CONSTANT(268967936)

/* QEMU 8.2-10.x shape (no system-wide remaining), one boundary every 2 s, 64 MiB flat. */
#define FLAT_PT(t, pass, exp) P(t, pass, 0, 64 * MIB, exp, 4000.0, 1000)
#define FLAT_SERIES(exp)                                                                           \
    {                                                                                              \
        FLAT_PT(2000, 2, exp), FLAT_PT(4000, 3, exp), FLAT_PT(6000, 4, exp),                       \
            FLAT_PT(8000, 5, exp), FLAT_PT(10000, 6, exp), FLAT_PT(12000, 7, exp),                 \
            FLAT_PT(14000, 8, exp), FLAT_PT(16000, 9, exp)                                         \
    }

/* Converging on its own: pending at the boundaries falls ~35 % per window; QEMU would still
 * like 2000 ms, far above the 500 ms default cap. */
#define CONV_SERIES                                                                                \
    {                                                                                              \
        P(2000, 2, 0, 200 * MIB, 2000, 1000.0, 10000),                                             \
            P(4000, 3, 0, 180 * MIB, 2000, 1000.0, 10000),                                         \
            P(6000, 4, 0, 165 * MIB, 2000, 1000.0, 10000),                                         \
            P(8000, 5, 0, 150 * MIB, 2000, 1000.0, 10000),                                         \
            P(10000, 6, 0, 138 * MIB, 2000, 1000.0, 10000),                                        \
            P(12000, 7, 0, 126 * MIB, 2000, 1000.0, 10000),                                        \
            P(14000, 8, 0, 116 * MIB, 2000, 1000.0, 10000)                                         \
    }

/* Creeping: 0.5 MiB less per 2 s, i.e. 2.5 % over the 10 s window. */
#define SLOW_PT(t, pass, ram) P(t, pass, 0, ram, 1200, 4000.0, 1000)
#define SLOW_SERIES                                                                                \
    {                                                                                              \
        SLOW_PT(2000, 2, 104857600), SLOW_PT(4000, 3, 104333312), SLOW_PT(6000, 4, 103809024),     \
            SLOW_PT(8000, 5, 103284736), SLOW_PT(10000, 6, 102760448),                             \
            SLOW_PT(12000, 7, 102236160), SLOW_PT(14000, 8, 101711872)                             \
    }

/* Pending falls 7-10 % per pass but the guest dirties 156 MiB/s against 119 MiB/s sent: the
 * fall is the tail of the first passes, not convergence. dirty6 is the rate at pass 6. */
#define RATE_SERIES(dirty6)                                                                        \
    {                                                                                              \
        P(2000, 2, 0, 200 * MIB, 1200, 1000.0, 40000),                                             \
            P(4000, 3, 0, 185 * MIB, 1200, 1000.0, 40000),                                         \
            P(6000, 4, 0, 170 * MIB, 1200, 1000.0, 40000),                                         \
            P(8000, 5, 0, 155 * MIB, 1200, 1000.0, 40000),                                         \
            P(10000, 6, 0, 140 * MIB, 1200, 1000.0, dirty6),                                       \
            P(12000, 7, 0, 128 * MIB, 1200, 1000.0, 40000),                                        \
            P(14000, 8, 0, 116 * MIB, 1200, 1000.0, 40000)                                         \
    }

/* QEMU 7.2, the issue's rate dip: 512 MiB flat, precopy measured at 800 Mbit/s (100 MB/s),
 * expected-downtime 5369 ms at that rate, the guest dirtying 1.43 GB/s. */
#define DIP_PT(t, pass, exp) P(t, pass, 0, 512 * MIB, exp, 800.0, 350000)
#define DIP_SERIES(exp)                                                                            \
    {                                                                                              \
        DIP_PT(101000, 10, exp), DIP_PT(103000, 11, exp), DIP_PT(105000, 12, exp),                 \
            DIP_PT(107000, 13, exp), DIP_PT(109000, 14, exp), DIP_PT(111000, 15, exp),             \
            DIP_PT(113000, 16, exp)                                                                \
    }
/* The same guest at 4 Gbit/s (500 MB/s): 1 GiB flat, expected-downtime 2147 ms. */
#define HALF_PT(t, pass) P(t, pass, 0, GIB, 2147, 4000.0, 350000)
#define HALF_SERIES                                                                                \
    {                                                                                              \
        HALF_PT(101000, 10), HALF_PT(103000, 11), HALF_PT(105000, 12), HALF_PT(107000, 13),        \
            HALF_PT(109000, 14), HALF_PT(111000, 15), HALF_PT(113000, 16)                          \
    }
/* Pending near 1 EiB at a measured 1 B/s (mbps 0.000008), expected-downtime garbage: the
 * parser accepts both, and pending x 1000 / rate is far beyond 64 bits. */
#define HUGE_PT(t, pass) P(t, pass, 0, G_GUINT64_CONSTANT(1) << 59, BAD, 0.000008, 1000)
#define HUGE_SERIES                                                                                \
    {                                                                                              \
        HUGE_PT(2000, 2), HUGE_PT(4000, 3), HUGE_PT(6000, 4), HUGE_PT(8000, 5), HUGE_PT(10000, 6), \
            HUGE_PT(12000, 7), HUGE_PT(14000, 8)                                                   \
    }
/* Before 11.1 with no dirty rate measured: expected-downtime still reads the limit. */
#define STALE_PT(t, pass, exp) P(t, pass, 0, 64 * MIB, exp, 4000.0, 0)
#define STALE_SERIES(exp)                                                                          \
    {                                                                                              \
        STALE_PT(2000, 2, exp), STALE_PT(4000, 3, exp), STALE_PT(6000, 4, exp),                    \
            STALE_PT(8000, 5, exp), STALE_PT(10000, 6, exp), STALE_PT(12000, 7, exp),              \
            STALE_PT(14000, 8, exp), STALE_PT(16000, 9, exp)                                       \
    }

/* The forecast's series, QEMU 7.2 shape: one iteration boundary a second, the stream held to
 * 64 MiB/s (ram.mbps 536.87), so QEMU's threshold at 300 ms is 19.20 MiB. The guest dirties
 * 32 MiB/s (8192 pages), below the transfer rate, so pending alone decides; FCD: 64 MiB/s, as
 * fast as the stream. */
#define M64 536.870912
#define FC(t, pass, ram) P(t, pass, 0, ram, 999, M64, 8192)
#define FCMID(t, pass, ram) PMID(t, pass, 0, ram, 999, M64, 8192)
#define FCD(t, pass, ram) P(t, pass, 0, ram, 999, M64, 16384)
/* the bulk pass, before the first boundary */
#define FC_HEAD P(500, 1, 0, 200 * MIB, 300, M64, 0)
#define FC_FLAT                                                                                    \
    {                                                                                              \
        FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 64 * MIB)               \
    }
/* QEMU 11.1, converge-late's busy phase: 1.3 GB kept dirty at 500 MB/s, expected 2600 ms. */
#define BUSY(t, pass) P(t, pass, 1300000000, 1300000000, 2600, 4000.0, 200000)
#define BUSY_HEAD P(1000, 1, 1500000000, 1500000000, 300, 4000.0, 0)
/* The vGPU guest as the tuner hands it over without pass events: every reading flagged
 * mid-iteration, 300 passes a second, a pass sending at most 3.6 MB of 1.91 GiB. */
#define VGPU_MID(t, pass) PMID(t, pass, VG, 4 * MIB, 1910, GBPS_MBIT, 256)

/* Sawtooth, 7.2 shape: a sync every second, a poll every 0.5 s. */
#define SAW(t, pass, ram) P(t, pass, 0, ram, 999, M72, 16063)

/* --- rows ---------------------------------------------------------------------------- */

static const Row rows[] = {
    /* verdicts that end the judgement early */
    {.name = "verdict/completed",
     .status = "completed",
     .downtime = 39,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_NONE,
     .verdict = CV_VERDICT_FINISHED,
     .reason = {"migration completed (downtime 39 ms)"}},
    {.name = "verdict/failed",
     .status = "failed",
     .pts = Q72_SERIES,
     .kind = CV_DECISION_NONE,
     .verdict = CV_VERDICT_FINISHED,
     .reason = {"migration failed: Unable to write to socket: Broken pipe"}},
    {.name = "verdict/cancelled",
     .status = "cancelled",
     .pts = Q72_SERIES,
     .verdict = CV_VERDICT_FINISHED,
     .reason = {"migration cancelled"}},
    {.name = "verdict/cancelling",
     .status = "cancelling",
     .pts = Q72_SERIES,
     .verdict = CV_VERDICT_FINISHED,
     .reason = {"cancelling"}},
    {.name = "verdict/device",
     .status = "device",
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_SWITCHOVER,
     .reason = {"status device"}},
    {.name = "verdict/postcopy-active",
     .status = "postcopy-active",
     .policy = "max=500ms esc=wait:60s,postcopy,abort",
     .params = "postcopy=yes",
     .history = "esc=2 esct=100000 capt=40000",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_SWITCHOVER,
     .reason = {"status postcopy-active"}},
    {.name = "verdict/pre-switchover",
     .status = "pre-switchover",
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_SWITCHOVER,
     .reason = {"pre-switchover"}},
    {.name = "verdict/setup",
     .status = "setup",
     .pts = {Q72_HEAD},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"status setup"}},
    {.name = "verdict/unknown-status",
     .status = "unknown",
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_BLIND,
     .reason = {"status unknown"}},
    {.name = "verdict/no-migration",
     .status = "none",
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_BLIND,
     .reason = {"no migration"}},

    /* warm-up: nothing measured yet, or the window is not filled */
    {.name = "warmup/first-pass",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"iteration 1"}},
    {.name = "warmup/window-not-filled",
     .policy = "max=500ms sw=1GiB pat=off",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"3 iterations and 10.0 s", "not filled"}},
    {.name = "warmup/drained-fast-passes-short-time",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), VGPU_PT(2000, 400, 1910), VGPU_PT(3000, 700, 1910),
             VGPU_PT(4000, 1000, 1910)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled", "3 boundaries"}},
    {.name = "warmup/slow-passes-long-time",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .pts = {FLAT_PT(2000, 2, 1200), FLAT_PT(20000, 3, 1200), FLAT_PT(40000, 4, 1200)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled", "2 boundaries"}},

    /* stall: the vGPU case and the 7.2 case of the issue */
    {.name = "stall/vgpu-2g-qemu11.1",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=300 avail=1GiB vfio=yes",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2000,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .nmin = 1910,
     .nmax = 1910,
     .bmin = 2110,
     .bmax = 2110,
     .reason = {"pending 1.91 GiB flat", "needed 1910 ms (expected-downtime, all devices) x 1.10",
                "downtime-limit 2110 ms (cap 5000 ms)"}},
    {.name = "stall/vgpu-2g-bandwidth-first",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=300 avail=0 vfio=yes",
     .vfio = TRUE,
     .pts = VGPUM_SERIES,
     .kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH,
     .vmin = 1073741824,
     .vmax = 1073741824,
     .verdict = CV_VERDICT_STALLED,
     .reason = {"stalled: pending 1.91 GiB flat",
                "avail-switchover-bandwidth 0 B/s -> 1.00 GiB/s first"}},
    {.name = "stall/vgpu-2g-measured-rate",
     .policy = "max=5s",
     .params = "limit=300 avail=0 vfio=yes",
     .vfio = TRUE,
     .pts = VGPUM_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 4520,
     .vmax = 4520,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .nmin = 4102,
     .nmax = 4102,
     .reason = {"needed 4102 ms", "downtime-limit 4520 ms (cap 5000 ms)"}},
    {.name = "stall/vgpu-2g-passes-only-window",
     .policy = "max=5s sw=1GiB winms=0 pat=off",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), VGPU_PT(2000, 400, 1910), VGPU_PT(3000, 700, 1910),
             VGPU_PT(4000, 1000, 1910)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"300 iterations/1.0 s"}},
    {.name = "stall/qemu7.2-64MiB-stated-1GiB",
     .policy = "max=500ms sw=1GiB win=3 winms=0 pat=off",
     .params = "limit=300 maxbw=64MiB",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .nmin = 999,
     .nmax = 999,
     .bmin = 69,
     .bmax = 69,
     .reason = {"needed 999 ms (expected-downtime, RAM only)",
                "downtime-limit 1100 ms; predicted blackout 69 ms (1100 ms x max-bandwidth "
                "64.00 MiB/s / stated 1.00 GiB/s)",
                "within cap 500 ms"}},
    {.name = "stall/qemu7.2-64MiB-no-stated-rate",
     .policy = "max=500ms win=3 winms=0 esc=wait:60s,abort pat=off",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 500,
     .bmax = 500,
     .reason = {"downtime-limit 1100 ms exceeds cap 500 ms", "300 -> 500 ms (the cap)",
                "escalation 1/2: wait 60 s"}},
    {.name = "stall/qemu7.2-stated-rate-ceiling",
     .policy = "max=500ms sw=100MiB win=3 winms=0 esc=wait:60s,abort pat=off",
     .params = "limit=300 maxbw=64MiB",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 780,
     .vmax = 780,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 500,
     .bmax = 500,
     .reason = {"predicted blackout 704 ms (1100 ms x max-bandwidth 64.00 MiB/s / stated "
                "100.00 MiB/s) exceeds cap 500 ms",
                "300 -> 780 ms, the ceiling (predicted blackout 500 ms, within the cap)"}},
    {.name = "stall/qemu7.2-stated-rate-below-max-bandwidth",
     .policy = "max=500ms sw=32MiB win=3 winms=0 esc=wait:60s,abort pat=off",
     .params = "limit=300 maxbw=64MiB",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"exceeds cap 500 ms (no limit above it: max-bandwidth above the stated rate)"}},
    {.name = "stall/creeping-below-min-progress",
     .policy = "max=5s pat=off",
     .params = "limit=300 avail=0",
     .pts = SLOW_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1320,
     .vmax = 1320,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"fell 2.5% vs 99.50 MiB 5 iterations/10.0 s ago (min progress 4%)"}},
    {.name = "stall/creeping-above-lower-min-progress",
     .policy = "max=5s prog=0.02 pat=off",
     .params = "limit=300 avail=0",
     .pts = SLOW_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging", "fell 2.5%", "(min progress 2%)"}},
    {.name = "stall/converging-untouched",
     .policy = "pat=off",
     .params = "limit=300 avail=0",
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging: pending 116.00 MiB fell 35.6% vs 180.00 MiB"}},
    {.name = "stall/dirty-rate-above-transfer",
     .policy = "max=5s pat=off",
     .params = "limit=300 avail=0",
     .pts = RATE_SERIES(40000),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1320,
     .vmax = 1320,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"dirty rate 156.25 MiB/s >= transfer 119.21 MiB/s for 5 iterations/10.0 s"}},
    {.name = "stall/dirty-rate-dipped-in-window",
     .policy = "max=5s pat=off",
     .params = "limit=300 avail=0",
     .pts = RATE_SERIES(20000),
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging", "fell 37.3%"}},
    {.name = "stall/dirty-rate-invalid-in-window",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .pts = RATE_SERIES(BAD),
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},
    {.name = "stall/time-only-window",
     .policy = "max=5s win=0 winms=6s pat=off",
     .params = "limit=300 avail=0",
     .pts = FLAT_SERIES(1200),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1320,
     .vmax = 1320,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"flat vs 64.00 MiB 3 iterations/6.0 s ago"}},

    /* sawtooth: only the first reading after each sync counts */
    {.name = "sawtooth/mid-iteration-low-ignored",
     .policy = "max=2s win=3 winms=0 pat=off",
     .pts = {SAW(500, 2, 64 * MIB), SAW(1000, 2, 20 * MIB), SAW(1500, 3, 64 * MIB),
             SAW(2000, 3, 18 * MIB), SAW(2500, 4, 64 * MIB), SAW(3000, 4, 19 * MIB),
             SAW(3500, 5, 64 * MIB), SAW(4000, 5, 20 * MIB), SAW(4500, 6, 64 * MIB),
             SAW(5000, 6, 5 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 64.00 MiB flat vs 64.00 MiB 3 iterations/3.0 s ago"}},
    {.name = "sawtooth/falling-inside-iteration-not-progress",
     .policy = "max=2s win=3 winms=0 pat=off",
     .pts = {SAW(1000, 2, 64 * MIB), SAW(2000, 3, 64 * MIB), SAW(3000, 4, 64 * MIB),
             SAW(4000, 5, 64 * MIB), SAW(5000, 6, 64 * MIB), SAW(5500, 6, 50 * MIB),
             SAW(6000, 6, 35 * MIB), SAW(6500, 6, 20 * MIB), SAW(7000, 6, 8 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 64.00 MiB flat"}},
    {.name = "sawtooth/rising-inside-iteration-not-stall",
     .policy = "max=2s win=3 winms=0 pat=off",
     .pts = {SAW(1000, 2, 100 * MIB), SAW(2000, 3, 90 * MIB), SAW(2500, 3, 99 * MIB),
             SAW(3000, 4, 80 * MIB), SAW(3500, 4, 95 * MIB), SAW(4000, 5, 70 * MIB),
             SAW(4500, 5, 92 * MIB), SAW(5000, 6, 60 * MIB), SAW(5500, 6, 90 * MIB)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"pending 60.00 MiB fell 33.3% vs 90.00 MiB"}},
    {.name = "sawtooth/one-iteration-is-no-window",
     .policy = "max=2s win=3 winms=0",
     .pts = {SAW(1000, 5, 64 * MIB), SAW(1500, 5, 50 * MIB), SAW(2000, 5, 30 * MIB),
             SAW(2500, 5, 10 * MIB), SAW(3000, 5, 2 * MIB)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"0 boundaries"}},

    /* the forecast: the factor of pending per iteration against QEMU's threshold */
    {.name = "forecast/flat-never",
     .policy = "max=2s",
     .pts = FC_FLAT,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .nmin = 999,
     .nmax = 999,
     .reason = {"stalled: pending 64.00 MiB x1.00 per iteration over 3 boundaries/2.0 s "
                "(iteration 1.0 s), threshold 19.20 MiB (measured 64.00 MiB/s x 300 ms): never at "
                "300 ms",
                "downtime-limit 1100 ms (cap 2000 ms)"}},
    {.name = "forecast/two-boundaries-not-enough",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled", "no forecast: 2 boundaries over 1.0 s (needs 3 over 1.0 s)"}},
    {.name = "forecast/short-span-not-enough",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(1200, 3, 64 * MIB), FC(1400, 4, 64 * MIB),
             FC(1600, 5, 64 * MIB)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: 4 boundaries over 0.6 s (needs 3 over 1.0 s)"}},
    {.name = "forecast/shrinking-fast",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 128 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 32 * MIB)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging: pending 32.00 MiB x0.50 per iteration",
                "converges by itself in about 1 iteration/1.0 s, within patience 120 s"}},
    {.name = "forecast/shrinking-slowly-within-patience",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 67108864), FC(2000, 3, 65095598), FC(3000, 4, 63142730),
             FC(4000, 5, 61248448)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"x0.97 per iteration",
                "converges by itself in about 37 iterations/37.0 s, within patience 120 s"}},
    {.name = "forecast/shrinking-slowly-beyond-patience",
     .policy = "max=2s pat=30s",
     .pts = {FC_HEAD, FC(1000, 2, 67108864), FC(2000, 3, 65095598), FC(3000, 4, 63142730),
             FC(4000, 5, 61248448)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"stalled: pending 58.41 MiB x0.97 per iteration",
                "in about 37 iterations/37.0 s, not within patience 30.0 s"}},
    {.name = "forecast/growing",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 40 * MIB), FC(2000, 3, 48 * MIB),
             FC(3000, 4, 48 * MIB + 48 * MIB / 5)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 57.60 MiB x1.20 per iteration", "never at 300 ms"}},
    /* ram-hog read with pass events: each reading lags its boundary a little more and reads
     * lower, then one lands early again; the median ratio fakes a fall, but QEMU's dirty rate
     * has kept up with its transfer rate at every boundary: never, acted on at once */
    {.name = "forecast/dirty-outpaces-transfer",
     .policy = "max=2s",
     .pts = {FC_HEAD, FCD(1000, 2, 66 * MIB), FCD(2000, 3, 65 * MIB), FCD(3000, 4, 64 * MIB),
             FCD(4000, 5, 66 * MIB), FCD(5000, 6, 65 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"x0.98 per iteration over 4 boundaries",
                "never at 300 ms, the guest dirties x1.00 of what is sent (median; dirty rate "
                "64.00 MiB/s, transfer 64.00 MiB/s)"}},
    /* real QEMU 7.2, the e2e guest (64 MiB kept dirty, 64 MiB/s), polled without pass events:
     * readings 69.3, 62.9, 67.1 MiB; QEMU's dirty rate 0.98, 0.94, 1.00 of its transfer rate */
    {.name = "forecast/qemu7.2-e2e-first-boundaries",
     .policy = "max=2s",
     .pts = {P(5, 1, 0, 245682176, 300, 0.0, 0), P(1037, 2, 0, 69275648, 300, 516.474, 15413),
             P(1826, 3, 0, 62918656, 1253, 537.133, 15413),
             P(2626, 4, 0, 67112960, 999, 537.133, 16326)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"x0.98 per iteration over 3 boundaries/1.6 s",
                "never at 300 ms, the guest dirties x0.98 of what is sent"}},
    /* the same lagging readings with the guest dirtying 0.90 of what is sent, below the
     * tolerance: pending decides, and its (noisy) fall is left alone within the patience */
    {.name = "forecast/dirty-below-tolerance",
     .policy = "max=2s",
     .pts = {FC_HEAD, P(1000, 2, 0, 66 * MIB, 999, M64, 14746),
             P(2000, 3, 0, 65 * MIB, 999, M64, 14746), P(3000, 4, 0, 64 * MIB, 999, M64, 14746),
             P(4000, 5, 0, 66 * MIB, 999, M64, 14746), P(5000, 6, 0, 65 * MIB, 999, M64, 14746)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging: pending 65.00 MiB x0.98 per iteration", "within patience 120 s"}},
    /* the dirty rate caught up only at the newest boundary: pending, falling, still decides */
    {.name = "forecast/dirty-outpaces-newest-only",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 128 * MIB), FC(2000, 3, 64 * MIB), FCD(3000, 4, 32 * MIB)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging: pending 32.00 MiB x0.50 per iteration"}},
    /* readings drifting later into their iteration read lower each time, then jump back: the
     * median ratio fakes a slow fall; the window sees no progress and overrules it */
    {.name = "forecast/converging-overruled-by-window",
     .policy = "max=2s winms=3s",
     .pts = {FC_HEAD, FC(1000, 2, 66 * MIB), FC(2000, 3, 65 * MIB), FC(3000, 4, 64 * MIB),
             FC(4000, 5, 63 * MIB), FC(5000, 6, 66 * MIB), FC(6000, 7, 65 * MIB),
             FC(7000, 8, 64 * MIB), FC(8000, 9, 63 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"stalled: pending 63.00 MiB flat vs 63.00 MiB 4 iterations/4.0 s ago",
                "; the forecast (converges by itself in about 77 iterations/77.0 s) is not borne "
                "out over the window"}},
    {.name = "forecast/converging-confirmed-by-window",
     .policy = "max=2s winms=3s",
     .pts = {FC_HEAD, P(1000, 2, 0, 66 * MIB, 999, M64, 8000),
             P(2000, 3, 0, 65 * MIB, 999, M64, 8000), P(3000, 4, 0, 64 * MIB, 999, M64, 8000),
             P(4000, 5, 0, 63 * MIB, 999, M64, 8000)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging: pending 63.00 MiB x0.98 per iteration", "within patience 120 s"}},
    {.name = "forecast/at-or-below-threshold",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 40 * MIB), FC(3000, 4, 18 * MIB)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"at or below it, QEMU switches over at its next check"}},
    {.name = "forecast/one-noisy-boundary-decides-nothing",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 20 * MIB),
             FC(4000, 5, 64 * MIB), FC(5000, 6, 64 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"x1.00 per iteration over 4 boundaries", "never at 300 ms"}},
    {.name = "forecast/one-low-newest-boundary-decides-nothing",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 64 * MIB),
             FC(4000, 5, 64 * MIB), FC(5000, 6, 20 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 20.00 MiB x1.00 per iteration", "never at 300 ms"}},
    {.name = "forecast/sawtooth-same-iteration-ignored",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(1500, 2, 20 * MIB), FC(2000, 3, 64 * MIB),
             FC(2500, 3, 18 * MIB), FC(3000, 4, 64 * MIB), FC(3500, 4, 5 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 64.00 MiB x1.00 per iteration over 3 boundaries/2.0 s", "never"}},
    {.name = "forecast/sawtooth-mid-iteration-left-out",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FCMID(1500, 3, 30 * MIB), FC(2000, 4, 64 * MIB),
             FCMID(2500, 5, 28 * MIB), FC(3000, 6, 64 * MIB), FCMID(3500, 7, 26 * MIB)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending 64.00 MiB x1.00 per iteration over 3 boundaries/2.0 s (iteration 500 ms, "
                "3 mid-iteration readings left out)",
                "never at 300 ms"}},
    {.name = "forecast/sawtooth-mid-only-no-forecast",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FCMID(2000, 3, 30 * MIB), FCMID(3000, 4, 14 * MIB),
             FCMID(4000, 5, 30 * MIB), FCMID(5000, 6, 13 * MIB)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled", "no forecast: 1 boundary over 0.0 s (needs 3 over 1.0 s) (4 "
                              "mid-iteration readings left out)"}},
    /* the same polls with the guest dirtying as fast as the stream sends: no factor from
     * pending, but QEMU's rates say it never converges, and even the readings that read low
     * are above the threshold */
    {.name = "forecast/sawtooth-mid-only-rates-never",
     .policy = "max=2s",
     .pts = {FC_HEAD, FCD(1000, 2, 64 * MIB), PMID(2000, 3, 0, 30 * MIB, 999, M64, 16384),
             PMID(3000, 4, 0, 40 * MIB, 999, M64, 16384),
             PMID(4000, 5, 0, 30 * MIB, 999, M64, 16384),
             PMID(5000, 6, 0, 33 * MIB, 999, M64, 16384)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"pending at least 33.00 MiB (mid-iteration readings included) over 4 "
                "readings/3.0 s",
                "never at 300 ms, the guest dirties x1.00 of what is sent"}},
    /* ... but a reading at or below the threshold may be a low read of a pending that is
     * converging: no forecast */
    {.name = "forecast/sawtooth-mid-only-rates-reading-below-threshold",
     .policy = "max=2s",
     .pts = {FC_HEAD, FCD(1000, 2, 64 * MIB), PMID(2000, 3, 0, 30 * MIB, 999, M64, 16384),
             PMID(3000, 4, 0, 40 * MIB, 999, M64, 16384),
             PMID(4000, 5, 0, 30 * MIB, 999, M64, 16384),
             PMID(5000, 6, 0, 13 * MIB, 999, M64, 16384)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled", "no forecast: 1 boundary over 0.0 s (needs 3 over 1.0 s) (4 "
                              "mid-iteration readings left out)"}},
    {.name = "forecast/mid-iteration-negligible-sawtooth",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB vfio=yes",
     .vfio = TRUE,
     .pts = {VGPU_MID(1000, 100), VGPU_MID(2000, 400), VGPU_MID(3000, 700), VGPU_MID(4000, 1000)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"pending 1.91 GiB x1.00 per iteration over 3 boundaries/2.0 s (iteration 3.33 ms)",
                "threshold 307.20 MiB (switchover 1.00 GiB/s x 300 ms): never at 300 ms"}},
    {.name = "forecast/counter-jump-per-iteration",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 512 * MIB), FC(3000, 4, 128 * MIB), FC(5000, 6, 32 * MIB)},
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"x0.50 per iteration over 3 boundaries/4.0 s (iteration 1.0 s)",
                "in about 1 iteration/1.0 s, within patience"}},
    {.name = "forecast/counter-jump-thousands-of-passes",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB vfio=yes",
     .vfio = TRUE,
     .pts = {P(1000, 100, 2050846720, 4 * MIB, 1910, GBPS_MBIT, 256),
             P(2000, 400, 2030338252, 4 * MIB, 1910, GBPS_MBIT, 256),
             P(3000, 700, 2010034870, 4 * MIB, 1910, GBPS_MBIT, 256),
             P(4000, 1000, 1989934521, 4 * MIB, 1910, GBPS_MBIT, 256)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"x0.999966 per iteration", "(iteration 3.33 ms)",
                "in about 54355 iterations/181 s, not within patience 120 s"}},
    {.name = "forecast/counter-went-back",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 10, 64 * MIB), FC(2000, 11, 64 * MIB), FC(3000, 12, 64 * MIB),
             FC(4000, 2, 64 * MIB), FC(5000, 3, 64 * MIB)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: 1 boundary over 0.0 s"}},
    {.name = "forecast/rate-invalid",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB),
             P(3000, 4, 0, 64 * MIB, 999, DBAD, 16384)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"stall window (3 iterations and 10.0 s) not filled yet",
                "no forecast: measured rate (ram.mbps) invalid at the newest boundary"}},
    {.name = "forecast/rate-missing",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB),
             P(3000, 4, 0, 64 * MIB, 999, DMISS, 16384)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: measured rate (ram.mbps) missing at the newest boundary"}},
    {.name = "forecast/rate-zero",
     .policy = "max=2s",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB),
             P(3000, 4, 0, 64 * MIB, 999, 0.0, 16384)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: measured rate (ram.mbps) zero at the newest boundary"}},
    {.name = "forecast/rate-invalid-window-decides",
     .policy = "max=2s win=3 winms=0",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 64 * MIB),
             P(4000, 5, 0, 64 * MIB, 999, DBAD, 16384)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"stalled: pending 64.00 MiB flat vs 64.00 MiB 3 iterations/3.0 s ago",
                "no forecast: measured rate (ram.mbps) invalid"}},
    {.name = "forecast/rate-invalid-switchover-bandwidth-in-force",
     .policy = "max=2s",
     .params = "limit=300 avail=64MiB",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB),
             P(3000, 4, 0, 64 * MIB, 999, DBAD, 16384)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"threshold 19.20 MiB (switchover 64.00 MiB/s x 300 ms): never at 300 ms"}},
    {.name = "forecast/limit-unknown",
     .policy = "max=2s",
     .params = "limit=bad",
     .pts = FC_FLAT,
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: downtime-limit unknown"}},
    {.name = "forecast/off-window-decides",
     .policy = "max=2s pat=off",
     .pts = FC_FLAT,
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"stall window (3 iterations and 10.0 s) not filled yet: 3 boundaries"}},
    {.name = "forecast/ladder-no-forecast",
     .policy = "max=2s",
     .params = "limit=300 vfio=yes",
     .vfio = TRUE,
     .pts = FC_FLAT,
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"no forecast: pending is RAM only before QEMU 11.1 and a VFIO device is present"}},
    {.name = "forecast/need-above-expected-downtime",
     .policy = "max=2s",
     .pts = {FC_HEAD, P(1000, 2, 0, 64 * MIB, 600, M64, 9830),
             P(2000, 3, 0, 64 * MIB, 600, M64, 9830), P(3000, 4, 0, 64 * MIB, 600, M64, 9830)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .nmin = 1000,
     .nmax = 1000,
     .reason = {"needed 600 ms (expected-downtime, RAM only); but pending 64.00 MiB at the newest "
                "boundary / measured 64.00 MiB/s needs 1000 ms x 1.10 -> downtime-limit 1100 ms"}},
    {.name = "forecast/one-change-per-iteration",
     .policy = "max=2s",
     .params = "limit=1100",
     .history = "ourlimit=1100 changes=1 lastpass=4 lastt=3000",
     .pts = {FC_HEAD, FC(1000, 2, 64 * MIB), FC(2000, 3, 64 * MIB), FC(3000, 4, 80 * MIB)},
     .verdict = CV_VERDICT_STALLED,
     .reason = {"never at 1100 ms", "waiting for an iteration after the change at iteration 4"}},
    {.name = "forecast/raised-limit-converges",
     .policy = "max=2s",
     .params = "limit=1100",
     .history = "ourlimit=1100 changes=1 lastpass=4 lastt=3000",
     .pts = FC_FLAT,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"threshold 70.40 MiB (measured 64.00 MiB/s x 1100 ms): at or below it"}},
    /* the cap is not enough: a raise to a cap that cannot converge it waits for the patience */
    {.name = "forecast/cap-not-enough-held",
     .pts = {BUSY_HEAD, BUSY(4000, 2), BUSY(7000, 3), BUSY(10000, 4)},
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 1,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"never at 300 ms", "downtime-limit 2860 ms exceeds cap 1000 ms",
                "even 1000 ms would not converge it: held at 300 ms while it may converge by "
                "itself (patience 120 s, 0.0 s spent)",
                "escalation 1/2: wait 120 s"}},
    {.name = "forecast/cap-not-enough-held-patience-running",
     .history = "esc=1 esct=10000 capt=10000",
     .pts = {BUSY_HEAD, BUSY(64000, 20), BUSY(67000, 21), BUSY(70000, 22)},
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"held at 300 ms while it may converge by itself (patience 120 s, 60.0 s spent)",
                "escalation 1/2 wait: 60 s of 120 s"}},
    {.name = "forecast/cap-not-enough-patience-spent",
     .policy = "esc=wait:5min,abort",
     .history = "esc=1 esct=10000 capt=10000",
     .pts = {BUSY_HEAD, BUSY(124000, 40), BUSY(127000, 41), BUSY(130000, 42)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1000,
     .vmax = 1000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"patience 120 s spent since the cap was found not enough",
                "300 -> 1000 ms (the cap)"}},
    {.name = "forecast/cap-not-enough-patience-spent-step-due",
     .history = "esc=1 esct=10000 capt=10000",
     .pts = {BUSY_HEAD, BUSY(124000, 40), BUSY(127000, 41), BUSY(130000, 42)},
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 2,
     .reason = {"patience 120 s spent, but the next escalation step is due: no raise to 1000 ms",
                "escalation 2/2: abort"}},
    {.name = "forecast/cap-short-by-the-margin-raised",
     .pts = {FC_HEAD, P(1000, 2, 0, 64 * MIB, 1050, M64, 16384),
             P(2000, 3, 0, 64 * MIB, 1050, M64, 16384), P(3000, 4, 0, 64 * MIB, 1050, M64, 16384)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1000,
     .vmax = 1000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"downtime-limit 1160 ms exceeds cap 1000 ms", "300 -> 1000 ms (the cap)",
                "escalation 1/2: wait 120 s"}},

    /* the over-cap bound (QEMU 7.2, link rate stated): max-bandwidth, never the measured rate */
    {.name = "overcap/rate-dip-max-bandwidth-unlimited",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=300 maxbw=bad",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 500,
     .bmax = 500,
     .reason = {"downtime-limit 5910 ms exceeds cap 500 ms (no limit above it: max-bandwidth "
                "invalid or unlimited)",
                "300 -> 500 ms (the cap)"}},
    {.name = "overcap/rate-dip-ours-above-cap-lowered",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=530 maxbw=bad",
     .history = "ourlimit=530 changes=1 lastpass=3 lastt=20000 esc=1 esct=20000 capt=20000",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .bmin = 500,
     .bmax = 500,
     .reason = {"max-bandwidth now invalid or unlimited: our downtime-limit 530 ms no longer "
                "bounds the blackout (nothing bounds the precopy rate), above the cap 500 ms; "
                "lowered to 500 ms"}},
    {.name = "overcap/rate-dip-max-bandwidth-256MiB",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=530 maxbw=256MiB",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2000,
     .vmax = 2000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 500,
     .bmax = 500,
     .reason = {"predicted blackout 1478 ms (5910 ms x max-bandwidth 256.00 MiB/s / stated "
                "1.00 GiB/s) exceeds cap 500 ms",
                "530 -> 2000 ms, the ceiling (predicted blackout 500 ms, within the cap)"}},
    {.name = "overcap/max-bandwidth-zero-is-unlimited",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=300 maxbw=0",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"(no limit above it: max-bandwidth unlimited (0))"}},
    {.name = "overcap/max-bandwidth-above-stated",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=300 maxbw=2GiB",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"(no limit above it: max-bandwidth above the stated rate)"}},
    {.name = "overcap/max-bandwidth-unknown",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=300",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"(no limit above it: max-bandwidth unknown)"}},
    {.name = "overcap/ceiling-rounded-down",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=300 maxbw=1000000000",
     .pts = HALF_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 530,
     .vmax = 530,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 494,
     .bmax = 494,
     .reason = {"300 -> 530 ms, the ceiling (predicted blackout 494 ms, within the cap)"}},
    {.name = "overcap/ceiling-at-most-qemu-max",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=300 maxbw=1",
     .pts = DIP_SERIES(1900000),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2000000,
     .vmax = 2000000,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .bmin = 1,
     .bmax = 1,
     .reason = {"downtime-limit 2000000 ms; predicted blackout 1 ms"}},
    {.name = "overcap/not-with-switchover-bandwidth",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=300 avail=1GiB maxbw=64MiB",
     .history = "swset oursw=1GiB",
     .pts = DIP_SERIES(512),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .bmin = 500,
     .bmax = 500,
     .reason = {"downtime-limit 570 ms exceeds cap 500 ms", "300 -> 500 ms (the cap)"}},
    {.name = "overcap/mbps-invalid-bound-still-holds",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .params = "limit=300 maxbw=64MiB",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, 8, 0, 38805504, 999, DBAD, 16360)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .bmin = 69,
     .bmax = 69,
     .reason = {"predicted blackout 69 ms"}},

    /* the ceiling re-checked at every evaluation: our own limit lowered at once */
    {.name = "ceiling/max-bandwidth-raised-lowers-ours",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=2000 maxbw=512MiB",
     .history = "ourlimit=2000 changes=1 lastpass=2 lastt=2000",
     .pts = CONV_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1000,
     .vmax = 1000,
     .verdict = CV_VERDICT_CONVERGING,
     .bmin = 500,
     .bmax = 500,
     .reason = {"max-bandwidth now 512.00 MiB/s: our downtime-limit 2000 ms would allow a "
                "1000 ms blackout, above the cap 500 ms; lowered to 1000 ms"}},
    {.name = "ceiling/max-bandwidth-unlimited-lowers-ours-to-cap",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=2000 maxbw=bad",
     .history = "ourlimit=2000 changes=1 lastpass=2 lastt=2000",
     .pts = CONV_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_CONVERGING,
     .bmin = 500,
     .bmax = 500,
     .reason = {"max-bandwidth now invalid or unlimited: our downtime-limit 2000 ms no longer "
                "bounds the blackout",
                "above the cap 500 ms; lowered to 500 ms"}},
    {.name = "ceiling/max-bandwidth-zero-lowers-ours-to-cap",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=2000 maxbw=0",
     .history = "ourlimit=2000 changes=1 lastpass=2 lastt=2000",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"max-bandwidth now unlimited (0)", "lowered to 500 ms"}},
    {.name = "ceiling/same-iteration-as-our-change",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=2000 maxbw=1GiB",
     .history = "ourlimit=2000 changes=1 lastpass=16 lastt=113000",
     .pts = DIP_SERIES(5369),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_STALLED,
     .reason = {"max-bandwidth now 1.00 GiB/s: our downtime-limit 2000 ms would allow a 2000 ms "
                "blackout, above the cap 500 ms; lowered to 500 ms"}},
    {.name = "ceiling/while-blind",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .params = "limit=1100 maxbw=bad",
     .history = "ourlimit=1100 changes=1 lastpass=5 lastt=3514",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, 8, 0, BAD, 999, 536.93712, 16360)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_BLIND,
     .reason = {"our downtime-limit 1100 ms no longer bounds the blackout", "lowered to 500 ms"}},
    {.name = "ceiling/while-warming-up",
     .policy = "max=500ms sw=1GiB",
     .params = "limit=1100 maxbw=512MiB",
     .history = "ourlimit=1100",
     .pts = {Q72_HEAD},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1000,
     .vmax = 1000,
     .verdict = CV_VERDICT_WARMUP,
     .bmin = 500,
     .bmax = 500,
     .reason = {"max-bandwidth now 512.00 MiB/s: our downtime-limit 1100 ms would allow a 550 ms "
                "blackout, above the cap 500 ms; lowered to 1000 ms (predicted blackout 500 ms)"}},
    {.name = "ceiling/policy-no-longer-states-a-rate",
     .policy = "max=500ms win=3 winms=0 pat=off",
     .params = "limit=1100 maxbw=64MiB",
     .history = "ourlimit=1100 changes=1 lastpass=3 lastt=2011",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"our downtime-limit 1100 ms is above what the policy allows now (cap 500 ms: no "
                "link rate stated); lowered to 500 ms"}},
    {.name = "ceiling/ours-within-the-ceiling-kept",
     .policy = "max=500ms sw=1GiB win=3 winms=0 pat=off",
     .params = "limit=1100 maxbw=64MiB",
     .history = "ourlimit=1100 changes=1 lastpass=3 lastt=2011",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .bmin = 69,
     .bmax = 69,
     .reason = {"current downtime-limit 1100 ms (ours, within the ceiling 8000 ms) is already at "
                "or above it: left as is"}},
    {.name = "ceiling/someone-elses-limit-never-lowered",
     .policy = "max=500ms sw=1GiB pat=off",
     .params = "limit=2000 maxbw=bad",
     .history = "ourlimit=1100 changes=1 lastpass=2 lastt=2000",
     .pts = DIP_SERIES(1500),
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"current downtime-limit 2000 ms is already at or above it: left as is (never "
                "lowered: not ours)"}},

    /* downtime on older QEMU */
    {.name = "downtime/qemu8.2-ram-only",
     .policy = "max=2s pat=off",
     .params = "limit=300 avail=0",
     .pts = FLAT_SERIES(1200),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1320,
     .vmax = 1320,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .nmin = 1200,
     .nmax = 1200,
     .reason = {"needed 1200 ms (expected-downtime, RAM only) x 1.10",
                "downtime-limit 1320 ms (cap 2000 ms)"}},
    {.name = "downtime/qemu8.2-switchover-bandwidth-set",
     .policy = "max=2s sw=1GiB pat=off",
     .params = "limit=300 avail=1GiB",
     .pts = FLAT_SERIES(800),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 880,
     .vmax = 880,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .bmin = 880,
     .bmax = 880,
     .reason = {"downtime-limit 880 ms (cap 2000 ms)"}},
    {.name = "downtime/qemu8.2-cap-held-to-knob",
     .policy = "max=1s sw=1GiB esc=wait:60s,abort pat=off",
     .params = "limit=300 avail=1GiB",
     .pts = FLAT_SERIES(1200),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1000,
     .vmax = 1000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"1320 ms exceeds cap 1000 ms"}},
    {.name = "downtime/exactly-the-cap",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(4545),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"downtime-limit 5000 ms (cap 5000 ms)"}},

    /* the switchover reserve: what QEMU's threshold does not count (vCPU stop, unreported
     * device state, the last sync) is kept out of every limit, so limit + reserve <= cap */
    {.name = "reserve/cap-less-reserve",
     .policy = "max=5s sw=1GiB res=200ms",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(4545),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 4800,
     .vmax = 4800,
     .bmin = 5000,
     .bmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 1,
     .reason = {"5000 ms exceeds cap 5000 ms less the 200 ms switchover reserve",
                "300 -> 4800 ms (the cap less the 200 ms switchover reserve)"}},
    {.name = "reserve/fits-below-room",
     .policy = "max=5s sw=1GiB res=200ms",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(4000),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 4400,
     .vmax = 4400,
     .bmin = 4600,
     .bmax = 4600,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"downtime-limit 4400 ms (cap 5000 ms less the 200 ms switchover reserve)"}},
    {.name = "reserve/over-cap-bound-counts-it",
     .policy = "max=500ms sw=1GiB win=3 winms=0 pat=off res=50ms",
     .params = "limit=300 maxbw=64MiB",
     .ram_total = Q72_RAM_TOTAL,
     .pts = Q72_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1100,
     .vmax = 1100,
     .bmin = 119,
     .bmax = 119,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"predicted blackout 119 ms (1100 ms x max-bandwidth 64.00 MiB/s / stated "
                "1.00 GiB/s + 50 ms switchover reserve) within cap 500 ms"}},
    {.name = "reserve/ladder-stops-below-cap",
     .policy = "max=5s res=300ms",
     .params = "limit=4000 avail=0",
     .history = "changes=3 ladder=3 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 4700,
     .vmax = 4700,
     .bmin = 5000,
     .bmax = 5000,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"4000 -> 4700 ms (cap 5000 ms less the 300 ms switchover reserve)"}},
    {.name = "reserve/not-below-cap-a-tenth",
     .policy = "max=500ms res=800ms",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 450,
     .vmax = 450,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"300 -> 450 ms (cap 500 ms less the 50 ms switchover reserve)"}},

    /* ladder: QEMU < 11.1 with VFIO, the device's share unknown */
    {.name = "ladder/first-step",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 600,
     .vmax = 600,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"VFIO share unknown before QEMU 11.1", "ladder step 1",
                "300 -> 600 ms (cap 5000 ms)"}},
    {.name = "ladder/ram-share-is-the-floor",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = FLAT_SERIES(900),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 990,
     .vmax = 990,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"300 -> 990 ms"}},
    {.name = "ladder/fresh-window-after-step",
     .policy = "max=5s",
     .params = "limit=600 avail=0",
     .history = "changes=1 ladder=1 lastpass=6 lastt=10000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"not filled yet: 3 boundaries after the ladder step at iteration 6"}},
    {.name = "ladder/second-step",
     .policy = "max=5s",
     .params = "limit=600 avail=0",
     .history = "changes=1 ladder=1 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1200,
     .vmax = 1200,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"ladder step 2", "600 -> 1200 ms"}},
    {.name = "ladder/step-bounded-by-cap",
     .policy = "max=5s",
     .params = "limit=4000 avail=0",
     .history = "changes=3 ladder=3 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"4000 -> 5000 ms (cap 5000 ms)"}},
    {.name = "ladder/at-cap-escalates",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=5000 avail=0",
     .history = "changes=4 ladder=4 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_LADDER,
     .esc_next = 1,
     .reason = {"ladder at 5000 ms reached cap 5000 ms", "escalation 1/2: wait 60 s"}},
    {.name = "ladder/ram-alone-above-cap",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = FLAT_SERIES(6000),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_LADDER,
     .esc_next = 1,
     .reason = {"RAM alone needs 6000 ms", "above cap 5000 ms", "300 -> cap"}},
    {.name = "ladder/someone-elses-limit-above-cap-no-escalation",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=6000 avail=0",
     .history = "changes=2 ladder=2 ourlimit=1200 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"downtime-limit 6000 ms, above cap 5000 ms, is not ours: left as is (never "
                "lowered), no escalation"}},
    {.name = "ladder/someone-elses-limit-above-cap-ram-needs-more",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=6000 avail=0",
     .vfio = TRUE,
     .pts = FLAT_SERIES(7000),
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_LADDER,
     .esc_next = 1,
     .reason = {"RAM alone needs 7000 ms", "escalation 1/2: wait 60 s"}},
    {.name = "ladder/our-limit-at-cap-escalates",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=5000 avail=0",
     .history = "changes=4 ladder=4 ourlimit=5000 lastpass=3 lastt=4000",
     .vfio = TRUE,
     .pts = FLAT_SERIES(300),
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_LADDER,
     .esc_next = 1,
     .reason = {"ladder at 5000 ms reached cap 5000 ms"}},
    {.name = "ladder/stale-expected-is-no-ram-floor",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=4600 avail=0",
     .vfio = TRUE,
     .pts = STALE_SERIES(4600),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"expected-downtime stale (equals downtime-limit, no dirty rate): no RAM floor",
                "ladder step 1, downtime-limit 4600 -> 5000 ms"}},
    {.name = "ladder/stale-expected-outside-limit-above-cap",
     .policy = "max=5s esc=wait:60s,abort",
     .params = "limit=8000 avail=0",
     .vfio = TRUE,
     .pts = STALE_SERIES(8000),
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"no RAM floor", "is not ours: left as is (never lowered), no escalation"}},
    {.name = "ladder/vfio-from-params-qemu7.2",
     .policy = "max=5s",
     .params = "limit=300 vfio=yes",
     .pts = FLAT_SERIES(300),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 600,
     .vmax = 600,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_LADDER,
     .reason = {"ladder step 1"}},

    /* the rules around a change */
    {.name = "rules/never-lower-someone-elses-limit",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=3000 avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .nmin = 1910,
     .nmax = 1910,
     .reason = {"current downtime-limit 3000 ms is already at or above it",
                "left as is (never lowered: not ours)"}},
    {.name = "rules/one-change-per-iteration",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB",
     .history = "changes=1 lastpass=3700 lastt=13000",
     .vfio = TRUE,
     .pts = VGPU_SERIES(2500),
     .verdict = CV_VERDICT_STALLED,
     .reason = {"waiting for an iteration after the change at iteration 3700"}},
    {.name = "rules/same-value-not-set-again",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=2110 avail=1GiB",
     .history = "changes=1 lastpass=3400 lastt=12000",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"2110 ms is already at or above it"}},
    {.name = "rules/raised-again-when-the-need-grew",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=2110 avail=1GiB",
     .history = "changes=1 lastpass=3400 lastt=12000",
     .vfio = TRUE,
     .pts = VGPU_SERIES(2500),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2750,
     .vmax = 2750,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"downtime-limit 2750 ms"}},
    {.name = "rules/switchover-bandwidth-changed-by-someone-else",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=2GiB",
     .history = "swset",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"avail-switchover-bandwidth reads 2.00 GiB/s since we set 1.00 GiB/s"}},
    {.name = "rules/someone-elses-switchover-bandwidth-left-alone",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=3GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(640),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 710,
     .vmax = 710,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"avail-switchover-bandwidth 3.00 GiB/s was set by someone else: left alone (the "
                "policy states 1.00 GiB/s)",
                "needed 640 ms"}},
    {.name = "rules/someone-elses-switchover-bandwidth-old-qemu",
     .policy = "max=2s sw=1GiB pat=off",
     .params = "limit=300 avail=3GiB",
     .pts = FLAT_SERIES(800),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 880,
     .vmax = 880,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"avail-switchover-bandwidth 3.00 GiB/s was set by someone else: left alone"}},
    {.name = "rules/switchover-bandwidth-zero-is-not-a-choice",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = VGPUM_SERIES,
     .kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH,
     .vmin = 1073741824,
     .vmax = 1073741824,
     .verdict = CV_VERDICT_STALLED,
     .reason = {"avail-switchover-bandwidth 0 B/s -> 1.00 GiB/s first"}},
    {.name = "rules/our-switchover-bandwidth-follows-the-policy",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=2GiB",
     .history = "oursw=2GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(955),
     .kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH,
     .vmin = 1073741824,
     .vmax = 1073741824,
     .verdict = CV_VERDICT_STALLED,
     .reason = {"avail-switchover-bandwidth 2.00 GiB/s (ours) -> 1.00 GiB/s"}},
    {.name = "rules/switchover-bandwidth-not-when-converging",
     .policy = "sw=1GiB",
     .params = "limit=300 avail=0",
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},
    {.name = "rules/abort-already-requested",
     .policy = "max=5s",
     .params = "limit=5000 avail=1GiB",
     .history = "aborted esc=3 esct=100000",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .reason = {"abort already requested"}},

    /* escalation: the cap is too low; the walk comes from the history */
    {.name = "escalation/raise-to-cap-then-wait",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort pat=off",
     .params = "limit=300 avail=1GiB postcopy=yes vfio=no",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 1,
     .nmin = 7000,
     .nmax = 7000,
     .reason = {"downtime-limit 7700 ms exceeds cap 5000 ms", "300 -> 5000 ms (the cap)",
                "escalation 1/4: wait 60 s"}},
    {.name = "escalation/same-iteration-as-the-raise",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=3700 lastt=113000 esc=1 esct=113000 capt=113000",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .reason = {"waiting for an iteration after the change at iteration 3700"}},
    {.name = "escalation/wait-running",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 lastt=101000 esc=1 esct=101000 capt=101000",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"escalation 1/4 wait: 12 s of 60 s"}},
    {.name = "escalation/postcopy-after-wait",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 esc=1 esct=52000 capt=52000",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_START_POSTCOPY,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 2,
     .reason = {"escalation 2/4: postcopy"}},
    {.name = "escalation/pause-after-postcopy",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 esc=2 esct=53000 capt=1000 postcopy",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_PAUSE_GUEST,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 3,
     .reason = {"escalation 3/4: pause"}},
    {.name = "escalation/pause-bound-running",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 esc=3 esct=100000 capt=1000 postcopy paused",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"escalation 3/4 pause: 13 s of 30 s"}},
    {.name = "escalation/abort-after-pause",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 esc=3 esct=83000 capt=1000 postcopy paused",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 4,
     .reason = {"escalation 4/4: abort"}},
    {.name = "escalation/done",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,wait",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .history = "changes=1 lastpass=100 esc=4 esct=13000 capt=1000 postcopy paused",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"escalation done: last step wait taken 100 s ago"}},
    {.name = "escalation/postcopy-and-pause-refused-with-vfio",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=yes",
     .history = "changes=1 lastpass=100 esc=1 esct=52000 capt=52000",
     .vfio = TRUE,
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 4,
     .reason = {"postcopy skipped: VFIO device (no post-copy)",
                "pause skipped: vCPU pause does not stop VFIO", "escalation 4/4: abort"}},
    {.name = "escalation/postcopy-refused-capability-off",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy:60s,pause:30s,abort",
     .params = "limit=5000 avail=1GiB postcopy=no vfio=no",
     .history = "changes=1 lastpass=100 esc=1 esct=52000 capt=52000",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_PAUSE_GUEST,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 3,
     .reason = {"postcopy skipped: postcopy-ram off", "escalation 3/4: pause"}},
    {.name = "escalation/postcopy-refused-capability-unknown",
     .policy = "max=5s sw=1GiB esc=postcopy,abort",
     .params = "limit=5000 avail=1GiB vfio=no",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 2,
     .reason = {"postcopy skipped: postcopy-ram unknown"}},
    {.name = "escalation/pause-refused-vfio-from-params",
     .policy = "max=5s sw=1GiB esc=pause,abort",
     .params = "limit=5000 avail=1GiB vfio=yes",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 2,
     .reason = {"pause skipped: vCPU pause does not stop VFIO", "escalation 2/2: abort"}},
    {.name = "escalation/default-bound-is-wait-time",
     .policy = "max=5s sw=1GiB esc=wait,abort wait=30s",
     .params = "limit=5000 avail=1GiB",
     .history = "changes=1 lastpass=100 esc=1 esct=82000 capt=82000",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 2,
     .reason = {"escalation 2/2: abort"}},
    {.name = "escalation/on-hold-while-converging",
     .policy = "max=500ms esc=wait:60s,abort",
     .params = "limit=500 avail=0",
     .history = "changes=1 lastpass=1 esc=1 esct=1 capt=1",
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},
    {.name = "escalation/no-steps",
     .policy = "max=5s sw=1GiB esc=",
     .params = "limit=5000 avail=1GiB",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"exceeds cap 5000 ms", "the policy lists no escalation step"}},
    {.name = "escalation/vfio-placeholder-100GiB",
     .policy = "max=5s sw=1GiB esc=wait:60s,abort pat=off",
     .params = "limit=300 avail=1GiB vfio=yes",
     .vfio = TRUE,
     .pts = {P(1000, 100, 100 * GIB, 4 * MIB, 102400, GBPS_MBIT, 256),
             P(4000, 200, 100 * GIB, 4 * MIB, 102400, GBPS_MBIT, 256),
             P(8000, 300, 100 * GIB, 4 * MIB, 102400, GBPS_MBIT, 256),
             P(15000, 400, 100 * GIB, 4 * MIB, 102400, GBPS_MBIT, 256)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .esc_next = 1,
     .nmin = 102400,
     .nmax = 102400,
     .reason = {"pending 100.00 GiB flat", "exceeds cap 5000 ms"}},

    /* completion timeout: the last step, whatever the stall says */
    {.name = "timeout/absolute",
     .policy = "max=5s sw=1GiB esc=wait:60s,postcopy,pause,abort cto=100s",
     .params = "limit=5000 avail=1GiB postcopy=yes vfio=no",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 4,
     .reason = {"completion timeout 100 s (absolute) reached at total-time 113 s",
                "escalation 4/4: abort"}},
    {.name = "timeout/per-gib",
     .policy = "max=5s sw=1GiB esc=wait:60s,abort ctogib=25s",
     .params = "limit=5000 avail=1GiB",
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 2,
     .reason = {"completion timeout 100 s (25 s/GiB x 4.00 GiB)"}},
    {.name = "timeout/per-gib-earlier-than-absolute",
     .policy = "esc=wait:60s,abort cto=200s ctogib=3s",
     .params = "limit=300 avail=0",
     .pts = CONV_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 2,
     .reason = {"completion timeout 12 s (3 s/GiB x 4.00 GiB) reached at total-time 14 s"}},
    {.name = "timeout/per-gib-not-yet",
     .policy = "esc=wait:60s,abort ctogib=4s",
     .params = "limit=300 avail=0",
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},
    {.name = "timeout/in-warmup",
     .policy = "esc=wait,postcopy,abort cto=1s",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD},
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 3,
     .reason = {"completion timeout 1 s (absolute)", "escalation 3/3: abort"}},
    {.name = "timeout/last-step-refused",
     .policy = "max=5s sw=1GiB esc=wait:60s,abort,pause cto=100s",
     .params = "limit=5000 avail=1GiB vfio=yes",
     .vfio = TRUE,
     .pts = ESC_SERIES,
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 3,
     .reason = {"pause skipped: vCPU pause", "escalation 2/3: abort"}},
    {.name = "timeout/last-step-already-taken",
     .policy = "max=5s sw=1GiB esc=wait:60s,abort cto=100s",
     .params = "limit=5000 avail=1GiB",
     .history = "esc=2 esct=110000",
     .pts = ESC_SERIES,
     .verdict = CV_VERDICT_ESCALATING,
     .reason = {"last escalation step abort already taken"}},
    {.name = "timeout/fires-while-blind",
     .policy = "max=5s sw=1GiB esc=wait,postcopy,abort cto=10s",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), VGPU_PT(12000, 3400, 1910),
             P(13000, 3700, BAD, 4 * MIB, 1910, GBPS_MBIT, 256)},
     .kind = CV_DECISION_ABORT,
     .verdict = CV_VERDICT_ESCALATING,
     .esc_next = 3,
     .reason = {"completion timeout 10 s (absolute) reached at total-time 13 s",
                "escalation 3/3: abort"}},
    {.name = "timeout/total-time-invalid",
     .policy = "esc=wait:60s,abort cto=1s",
     .params = "limit=300 avail=0",
     .total_time = BAD,
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},
    {.name = "timeout/ram-total-invalid",
     .policy = "esc=wait:60s,abort ctogib=1s",
     .params = "limit=300 avail=0",
     .ram_total = BAD,
     .pts = CONV_SERIES,
     .verdict = CV_VERDICT_CONVERGING,
     .reason = {"converging"}},

    /* garbage: never an action beyond what the valid fields justify */
    {.name = "garbage/remaining-invalid-newest",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), VGPU_PT(2000, 400, 1910), VGPU_PT(3000, 700, 1910),
             VGPU_PT(12000, 3400, 1910), P(13000, 3700, BAD, 4 * MIB, 1910, GBPS_MBIT, 256)},
     .verdict = CV_VERDICT_BLIND,
     .reason = {"blind: system-wide remaining is invalid"}},
    {.name = "garbage/ram-remaining-invalid-newest",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, 8, 0, BAD, 999, 536.93712, 16360)},
     .verdict = CV_VERDICT_BLIND,
     .reason = {"blind: ram.remaining is invalid"}},
    {.name = "garbage/ram-remaining-missing-newest",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, 8, 0, MISS, 999, 536.93712, 16360)},
     .verdict = CV_VERDICT_BLIND,
     .reason = {"blind: ram.remaining is missing"}},
    {.name = "garbage/dirty-sync-count-invalid-newest",
     .policy = "max=500ms sw=1GiB win=3 winms=0",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, BAD, 0, 38805504, 999, 536.93712, 16360)},
     .verdict = CV_VERDICT_BLIND,
     .reason = {"blind: ram.dirty-sync-count is invalid"}},
    {.name = "garbage/expected-invalid-stated-rate",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(BAD),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .nmin = 1910,
     .nmax = 1910,
     .reason = {"expected-downtime invalid: needed 1910 ms (pending 1.91 GiB / switchover "
                "1.00 GiB/s)"}},
    {.name = "garbage/expected-invalid-measured-rate",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = {VGPUM_PT(1000, 100), VGPUM_PT(2000, 400), VGPUM_PT(3000, 700), VGPUM_PT(12000, 3400),
             P(13000, 3700, VG, 4 * MIB, BAD, 4000.0, 256)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 4520,
     .vmax = 4520,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .nmin = 4102,
     .nmax = 4102,
     .reason = {"(pending 1.91 GiB / measured 476.84 MiB/s)"}},
    {.name = "garbage/expected-and-rate-invalid",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .vfio = TRUE,
     .pts = {VGPUM_PT(1000, 100), VGPUM_PT(2000, 400), VGPUM_PT(3000, 700), VGPUM_PT(12000, 3400),
             P(13000, 3700, VG, 4 * MIB, BAD, DBAD, 256)},
     .verdict = CV_VERDICT_STALLED,
     .reason = {"expected-downtime invalid and no switchover or measured rate",
                "no estimate, no change"}},
    {.name = "garbage/expected-missing-old-qemu",
     .policy = "max=2s",
     .params = "limit=100 avail=0",
     .pts = {FLAT_PT(2000, 2, 1200), FLAT_PT(4000, 3, 1200), FLAT_PT(6000, 4, 1200),
             FLAT_PT(8000, 5, 1200), FLAT_PT(10000, 6, 1200), FLAT_PT(12000, 7, 1200),
             P(14000, 8, 0, 64 * MIB, MISS, 4000.0, 1000)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 150,
     .vmax = 150,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .reason = {"expected-downtime missing: needed 135 ms (pending 64.00 MiB / measured"}},
    {.name = "garbage/expected-stale-old-qemu",
     .policy = "max=5s",
     .params = "limit=300 avail=0",
     .pts = {P(2000, 2, 0, GIB, 300, 4000.0, 0), P(4000, 3, 0, GIB, 300, 4000.0, 0),
             P(6000, 4, 0, GIB, 300, 4000.0, 0), P(8000, 5, 0, GIB, 300, 4000.0, 0),
             P(10000, 6, 0, GIB, 300, 4000.0, 0), P(12000, 7, 0, GIB, 300, 4000.0, 0),
             P(14000, 8, 0, GIB, 300, 4000.0, 0)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2370,
     .vmax = 2370,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .nmin = 2148,
     .nmax = 2148,
     .reason = {"expected-downtime stale (equals downtime-limit, no dirty rate): needed 2148 ms"}},
    {.name = "garbage/huge-pending-tiny-rate",
     .policy = "max=5s esc=wait:60s,abort pat=off",
     .params = "limit=300 avail=0",
     .pts = HUGE_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .esc_next = 1,
     .nmin = G_MAXUINT64,
     .nmax = G_MAXUINT64,
     .reason = {"(pending 512.00 PiB / measured 1 B/s)", "downtime-limit 2000000 ms exceeds cap",
                "300 -> 5000 ms (the cap)"}},
    {.name = "garbage/huge-pending-tiny-switchover-rate",
     .policy = "max=5s esc=wait:60s,abort pat=off",
     .params = "limit=300 avail=1",
     .history = "swset oursw=1",
     .pts = HUGE_SERIES,
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 5000,
     .vmax = 5000,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_PENDING_OVER_RATE,
     .esc_next = 1,
     .reason = {"(pending 512.00 PiB / switchover 1 B/s)", "exceeds cap 5000 ms"}},
    {.name = "garbage/remaining-invalid-inside-window",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), VGPU_PT(2000, 400, 1910), VGPU_PT(3000, 700, 1910),
             P(4000, 1000, BAD, 4 * MIB, 1910, GBPS_MBIT, 256),
             P(5000, 1300, BAD, 4 * MIB, 1910, GBPS_MBIT, 256), VGPU_PT(12000, 3400, 1910),
             VGPU_PT(13000, 3700, 1910)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"flat vs 1.91 GiB 3000 iterations/10.0 s ago"}},
    {.name = "garbage/low-remaining-garbage-old-sample",
     .policy = "max=5s sw=1GiB pat=off",
     .params = "limit=300 avail=1GiB",
     .vfio = TRUE,
     .pts = {VGPU_PT(1000, 100, 1910), P(2000, 400, BAD, 0, 1910, GBPS_MBIT, 256),
             VGPU_PT(3000, 700, 1910), VGPU_PT(12000, 3400, 1910), VGPU_PT(13000, 3700, 1910)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"flat vs 1.91 GiB"}},
    {.name = "garbage/dirty-sync-count-invalid-inside",
     .policy = "max=2s pat=off",
     .params = "limit=300 avail=0",
     .pts = {FLAT_PT(2000, 2, 1200), FLAT_PT(4000, 3, 1200), FLAT_PT(6000, BAD, 1200),
             FLAT_PT(8000, 5, 1200), FLAT_PT(10000, BAD, 1200), FLAT_PT(12000, 7, 1200),
             FLAT_PT(14000, 8, 1200), FLAT_PT(16000, 9, 1200)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 1320,
     .vmax = 1320,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .reason = {"flat vs 64.00 MiB 6 iterations/12.0 s ago"}},
    {.name = "garbage/all-older-samples-invalid",
     .policy = "max=2s",
     .params = "limit=300 avail=0",
     .pts = {P(2000, BAD, BAD, BAD, BAD, DBAD, BAD), P(4000, BAD, BAD, BAD, BAD, DBAD, BAD),
             P(6000, BAD, BAD, BAD, BAD, DBAD, BAD), FLAT_PT(16000, 9, 1200)},
     .verdict = CV_VERDICT_WARMUP,
     .reason = {"0 boundaries"}},
    {.name = "garbage/mbps-invalid-qemu7.2-stated-rate",
     .policy = "max=500ms sw=1GiB win=3 winms=0 esc=wait:60s,abort",
     .ram_total = Q72_RAM_TOTAL,
     .pts = {Q72_HEAD, Q72_TAIL, P(6019, 8, 0, 38805504, 999, DBAD, 16360)},
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 500,
     .vmax = 500,
     .verdict = CV_VERDICT_ESCALATING,
     .source = CV_ESTIMATE_QEMU_RAM_ONLY,
     .esc_next = 1,
     .reason = {"1100 ms exceeds cap 500 ms"}},
    {.name = "garbage/current-limit-invalid",
     .policy = "max=5s sw=1GiB",
     .params = "limit=bad avail=1GiB",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .verdict = CV_VERDICT_STALLED,
     .reason = {"current downtime-limit unknown: no change"}},
    {.name = "garbage/switchover-bandwidth-param-invalid",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=bad",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH,
     .vmin = 1073741824,
     .vmax = 1073741824,
     .verdict = CV_VERDICT_STALLED,
     .reason = {"avail-switchover-bandwidth invalid -> 1.00 GiB/s first"}},
    {.name = "garbage/switchover-bandwidth-invalid-after-set",
     .policy = "max=5s sw=1GiB",
     .params = "limit=300 avail=bad",
     .history = "swset",
     .vfio = TRUE,
     .pts = VGPU_SERIES(1910),
     .kind = CV_DECISION_SET_DOWNTIME_LIMIT,
     .vmin = 2110,
     .vmax = 2110,
     .verdict = CV_VERDICT_STALLED,
     .source = CV_ESTIMATE_QEMU_ALL_DEVICES,
     .reason = {"reads invalid since we set 1.00 GiB/s: not set again"}},
};

/* --- "key=value" helpers ------------------------------------------------------------- */

static guint64
parse_value(const gchar *key, const gchar *v)
{
    static const struct {
        const gchar *suffix;
        guint64 factor;
    } units[] = {
        {"ms", 1}, {"min", 60000}, {"s", 1000}, {"B", 1}, {"KiB", KIB}, {"MiB", MIB}, {"GiB", GIB},
    };
    g_autofree gchar *num = NULL;
    gchar *end = NULL;
    guint64 value;

    if (g_str_equal(v, "bad"))
        return BAD;
    if (g_str_equal(v, "miss"))
        return MISS;
    num = g_strdup(v);
    if (g_str_has_suffix(num, "/s"))
        num[strlen(num) - 2] = '\0';
    value = g_ascii_strtoull(num, &end, 10);
    if (end == num)
        g_error("%s: bad value '%s'", key, v);
    if (*end == '\0')
        return value;
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (g_str_equal(end, units[i].suffix))
            return value * units[i].factor;
    }
    g_error("%s: bad unit in '%s'", key, v);
    return 0;
}

static CvTri
parse_tri(const gchar *v)
{
    if (g_str_equal(v, "yes"))
        return CV_TRI_YES;
    if (g_str_equal(v, "no"))
        return CV_TRI_NO;
    return CV_TRI_UNKNOWN;
}

static void
set_field(CvU64Field *f, guint64 v)
{
    if (v == MISS) {
        f->state = CV_FIELD_ABSENT;
        f->value = 0;
    } else if (v == BAD) {
        f->state = CV_FIELD_INVALID;
        f->value = G_GUINT64_CONSTANT(0xdeadbeef);
    } else {
        cv_field_set(f, v);
    }
}

static void
set_double(CvDoubleField *f, gdouble v)
{
    if (v == DMISS) {
        f->state = CV_FIELD_ABSENT;
    } else if (v == DBAD) {
        f->state = CV_FIELD_INVALID;
        f->value = -1.0;
    } else {
        f->state = CV_FIELD_VALID;
        f->value = v;
    }
}

static void
parse_escalation(CvPolicy *policy, const gchar *v)
{
    g_auto(GStrv) steps = g_strsplit(v, ",", -1);

    policy->n_escalation = 0;
    for (guint i = 0; steps[i] != NULL && steps[i][0] != '\0'; i++) {
        g_auto(GStrv) parts = g_strsplit(steps[i], ":", 2);
        CvEscalationStep *step = &policy->escalation[policy->n_escalation];

        g_assert_cmpuint(policy->n_escalation, <, CV_POLICY_MAX_ESCALATION);
        if (!cv_escalation_action_from_string(parts[0], &step->action))
            g_error("bad escalation step '%s'", parts[0]);
        step->bound_ms = parts[1] != NULL ? parse_value("esc", parts[1]) : 0;
        policy->n_escalation++;
    }
}

static void
build_policy(const Row *row, CvPolicy *policy)
{
    g_auto(GStrv) kv = g_strsplit(row->policy != NULL ? row->policy : "", " ", -1);

    cv_policy_init_default(policy);
    /* The rows state the rules with no switchover reserve (a legal policy: `switchover-reserve
     * = 0`), so their numbers read as QEMU's; rows with res= test the reserve itself. */
    policy->switchover_reserve_ms = 0;
    for (guint i = 0; kv[i] != NULL; i++) {
        g_auto(GStrv) p = NULL;

        if (kv[i][0] == '\0')
            continue;
        p = g_strsplit(kv[i], "=", 2);
        g_assert_nonnull(p[1]);
        if (g_str_equal(p[0], "max"))
            policy->max_downtime_ms = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "res"))
            policy->switchover_reserve_ms = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "margin"))
            policy->margin = g_ascii_strtod(p[1], NULL);
        else if (g_str_equal(p[0], "sw"))
            policy->switchover_bandwidth = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "win"))
            policy->stall_window_passes = (guint)parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "winms"))
            policy->stall_window_ms = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "prog"))
            policy->stall_min_progress = g_ascii_strtod(p[1], NULL);
        else if (g_str_equal(p[0], "pat"))
            policy->patience_ms = g_str_equal(p[1], "off") ? 0 : parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "esc"))
            parse_escalation(policy, p[1]);
        else if (g_str_equal(p[0], "wait"))
            policy->wait_time_ms = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "cto"))
            policy->completion_timeout_ms = parse_value(p[0], p[1]);
        else if (g_str_equal(p[0], "ctogib"))
            policy->completion_timeout_ms_per_gib = parse_value(p[0], p[1]);
        else
            g_error("unknown policy key '%s'", p[0]);
    }
}

static void
build_params(const Row *row, CvParams *params)
{
    g_auto(GStrv) kv = g_strsplit(row->params != NULL ? row->params : "", " ", -1);

    cv_params_init(params);
    cv_field_set(&params->downtime_limit_ms, 300);
    for (guint i = 0; kv[i] != NULL; i++) {
        g_auto(GStrv) p = NULL;

        if (kv[i][0] == '\0')
            continue;
        p = g_strsplit(kv[i], "=", 2);
        g_assert_nonnull(p[1]);
        if (g_str_equal(p[0], "limit"))
            set_field(&params->downtime_limit_ms, parse_value(p[0], p[1]));
        else if (g_str_equal(p[0], "avail"))
            set_field(&params->avail_switchover_bandwidth, parse_value(p[0], p[1]));
        else if (g_str_equal(p[0], "maxbw"))
            set_field(&params->max_bandwidth, parse_value(p[0], p[1]));
        else if (g_str_equal(p[0], "postcopy"))
            params->postcopy_ram = parse_tri(p[1]);
        else if (g_str_equal(p[0], "vfio"))
            params->vfio_devices = parse_tri(p[1]);
        else
            g_error("unknown params key '%s'", p[0]);
    }
}

static void
build_history(const Row *row, CvPolicyHistory *h)
{
    g_auto(GStrv) kv = g_strsplit(row->history != NULL ? row->history : "", " ", -1);

    cv_policy_history_init(h);
    for (guint i = 0; kv[i] != NULL; i++) {
        g_auto(GStrv) p = NULL;
        guint64 v = 0;

        if (kv[i][0] == '\0')
            continue;
        p = g_strsplit(kv[i], "=", 2);
        if (p[1] != NULL)
            v = parse_value(p[0], p[1]);
        if (g_str_equal(p[0], "changes"))
            h->n_downtime_changes = (guint)v;
        else if (g_str_equal(p[0], "lastpass"))
            h->last_change_pass = v;
        else if (g_str_equal(p[0], "lastt"))
            h->last_change_time_ms = (gint64)v;
        else if (g_str_equal(p[0], "ladder"))
            h->ladder_steps = (guint)v;
        else if (g_str_equal(p[0], "esc"))
            h->escalation_index = (guint)v;
        else if (g_str_equal(p[0], "esct"))
            h->escalation_started_ms = (gint64)v;
        else if (g_str_equal(p[0], "capt"))
            h->cap_reached_ms = (gint64)v;
        else if (g_str_equal(p[0], "swset"))
            h->switchover_bandwidth_set = TRUE;
        else if (g_str_equal(p[0], "ourlimit"))
            h->our_downtime_limit_ms = v;
        else if (g_str_equal(p[0], "oursw")) {
            h->switchover_bandwidth_set = TRUE;
            h->our_switchover_bandwidth = v;
        } else if (g_str_equal(p[0], "postcopy"))
            h->postcopy_started = TRUE;
        else if (g_str_equal(p[0], "paused"))
            h->guest_paused = TRUE;
        else if (g_str_equal(p[0], "aborted"))
            h->aborted = TRUE;
        else
            g_error("unknown history key '%s'", p[0]);
    }
}

static void
build_sample(const Pt *p, gboolean vfio, guint64 ram_total, CvSample *s)
{
    cv_sample_init(s);
    s->time_ms = p->t_ms;
    s->mid_iteration = p->mid;
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->total_time_ms, (guint64)p->t_ms);
    cv_field_set(&s->setup_time_ms, 1);
    set_field(&s->ram_dirty_sync_count, p->pass);
    if (p->remaining != 0)
        set_field(&s->remaining, p->remaining);
    set_field(&s->ram_remaining, p->ram);
    set_field(&s->expected_downtime_ms, p->expected);
    set_double(&s->ram_mbps, p->mbps);
    set_field(&s->ram_dirty_pages_rate, p->dirty);
    cv_field_set(&s->ram_page_size, 4096);
    set_field(&s->ram_total, ram_total);
    if (vfio)
        cv_field_set(&s->vfio_transferred, 64 * MIB);
}

static gsize
build_samples(const Row *row, CvSample *out)
{
    gsize n = 0;
    CvSample *newest;

    for (; n < MAX_PTS && row->pts[n].pass != 0; n++)
        build_sample(&row->pts[n], row->vfio, row->ram_total ? row->ram_total : 4 * GIB, &out[n]);
    g_assert_cmpuint(n, >, 0);
    newest = &out[n - 1];
    if (row->status != NULL) {
        newest->status = cv_migration_status_from_string(row->status);
        if (!g_str_equal(row->status, "unknown"))
            g_assert_cmpint(newest->status, !=, CV_MIGRATION_STATUS_UNKNOWN);
    }
    if (row->total_time != 0)
        set_field(&newest->total_time_ms, row->total_time);
    if (row->downtime != 0) {
        cv_field_set(&newest->downtime_ms, row->downtime);
        newest->expected_downtime_ms.state = CV_FIELD_ABSENT;
    }
    if (newest->status == CV_MIGRATION_STATUS_FAILED)
        g_strlcpy(newest->error_desc, "Unable to write to socket: Broken pipe",
                  sizeof(newest->error_desc));
    return n;
}

/* The over-cap rule of cv-policy.h, computed here on its own from the policy and the
 * parameters (as the actuator does), not with the engine's helpers: the highest limit
 * allowed, and the blackout a limit of @limit predicts. */
static guint64
independent_ceiling(const CvPolicy *policy, const CvParams *params, gboolean vfio, guint64 limit,
                    guint64 *predicted)
{
    /* the reserve, as the policy's contract says: below the cap, else a tenth of it */
    guint64 reserve = policy->switchover_reserve_ms < policy->max_downtime_ms
                          ? policy->switchover_reserve_ms
                          : policy->max_downtime_ms / 10;
    guint64 room = policy->max_downtime_ms - reserve;
    guint64 stated = policy->switchover_bandwidth;
    guint64 mb = params->max_bandwidth.value;
    gdouble c;

    *predicted = limit + reserve;
    if (stated == 0 || params->avail_switchover_bandwidth.state != CV_FIELD_ABSENT || vfio ||
        params->vfio_devices == CV_TRI_YES || params->max_bandwidth.state != CV_FIELD_VALID ||
        mb == 0 || mb > stated)
        return room;
    *predicted =
        (guint64)ceill((long double)limit * (long double)mb / (long double)stated) + reserve;
    c = floor((gdouble)room * (gdouble)stated / (gdouble)mb / 10.0) * 10.0;
    if (c > 2000000.0)
        c = 2000000.0;
    return MAX((guint64)c, room);
}

/* Every downtime-limit decision: on the 10 ms grid, within QEMU's range, both numbers
 * reported, within the ceiling, and lower than the current value only when that value is
 * ours. */
static void
check_limit_decision(const CvPolicy *policy, const CvParams *params, gboolean vfio,
                     const CvPolicyHistory *history, const CvDecision *d)
{
    guint64 current = params->downtime_limit_ms.value;
    guint64 predicted = 0;
    guint64 ceiling = independent_ceiling(policy, params, vfio, d->value, &predicted);

    g_assert_cmpuint(d->value % CV_POLICY_LIMIT_STEP_MS, ==, 0);
    g_assert_cmpuint(d->value, <=, CV_SAMPLE_MAX_MS);
    g_assert_cmpuint(d->value, !=, current);
    if (d->value < current)
        g_assert_cmpuint(history->our_downtime_limit_ms, ==, current);
    g_assert_cmpuint(d->value, <=, ceiling);
    g_assert_cmpuint(d->predicted_blackout_ms, >, 0);
    g_assert_cmpuint(d->predicted_blackout_ms, <=, policy->max_downtime_ms);
    g_assert_cmpuint(d->predicted_blackout_ms, ==, predicted);
}

static gboolean
kind_has_value(CvDecisionKind kind)
{
    return kind == CV_DECISION_SET_DOWNTIME_LIMIT || kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
}

static void
test_row(gconstpointer data)
{
    const Row *row = data;
    CvSample samples[MAX_PTS];
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history, history_copy;
    CvSample samples_copy[MAX_PTS];
    CvDecision d, again;
    gsize n;

    build_policy(row, &policy);
    build_params(row, &params);
    build_history(row, &history);
    n = build_samples(row, samples);
    memcpy(samples_copy, samples, sizeof(samples));
    history_copy = history;

    d = cv_policy_decide(&policy, samples, n, &params, &history);
    g_test_message("%s: %s %" G_GUINT64_FORMAT " [%s, %s, esc %u] %s", row->name,
                   cv_decision_kind_to_string(d.kind), d.value, cv_verdict_to_string(d.verdict),
                   cv_estimate_source_to_string(d.source), d.escalation_next, d.reason);

    g_assert_cmpstr(cv_decision_kind_to_string(d.kind), ==, cv_decision_kind_to_string(row->kind));
    g_assert_cmpstr(cv_verdict_to_string(d.verdict), ==, cv_verdict_to_string(row->verdict));
    g_assert_cmpstr(cv_estimate_source_to_string(d.source), ==,
                    cv_estimate_source_to_string(row->source));
    if (kind_has_value(row->kind)) {
        g_assert_cmpuint(d.value, >=, row->vmin);
        g_assert_cmpuint(d.value, <=, row->vmax);
    } else {
        g_assert_cmpuint(d.value, ==, 0);
    }
    if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        check_limit_decision(&policy, &params, row->vfio, &history, &d);
    if (d.kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH) {
        /* a value someone else set (valid, non-zero, not ours) is never overwritten */
        const CvU64Field *sw = &params.avail_switchover_bandwidth;

        g_assert_true(!cv_field_valid(sw) || sw->value == 0 ||
                      sw->value == history.our_switchover_bandwidth);
    }
    g_assert_cmpuint(d.escalation_next, ==, row->esc_next);
    if (row->nmin != 0 || row->nmax != 0) {
        g_assert_cmpuint(d.needed_downtime_ms, >=, row->nmin);
        g_assert_cmpuint(d.needed_downtime_ms, <=, row->nmax);
    }
    if (row->bmin != 0 || row->bmax != 0) {
        g_assert_cmpuint(d.predicted_blackout_ms, >=, row->bmin);
        g_assert_cmpuint(d.predicted_blackout_ms, <=, row->bmax);
    }
    /* one line, not cut short */
    g_assert_cmpuint(strlen(d.reason), >, 0);
    g_assert_cmpuint(strlen(d.reason), <, CV_DECISION_REASON_MAX - 1);
    g_assert_null(strchr(d.reason, '\n'));
    for (gsize i = 0; i < G_N_ELEMENTS(row->reason) && row->reason[i] != NULL; i++) {
        if (strstr(d.reason, row->reason[i]) == NULL)
            g_error("%s: reason \"%s\" lacks \"%s\"", row->name, d.reason, row->reason[i]);
    }

    /* pure: inputs untouched, the same answer twice */
    g_assert_cmpmem(samples, sizeof(CvSample) * n, samples_copy, sizeof(CvSample) * n);
    g_assert_cmpmem(&history, sizeof(history), &history_copy, sizeof(history_copy));
    again = cv_policy_decide(&policy, samples, n, &params, &history);
    g_assert_cmpmem(&d, sizeof(d), &again, sizeof(again));
}

/* --- scenarios: the engine called again and again, history recorded in between -------- */

/* Apply a decision to the parameters the way a target would. */
static void
apply(const CvDecision *d, CvParams *params)
{
    if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        cv_field_set(&params->downtime_limit_ms, d->value);
    else if (d->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        cv_field_set(&params->avail_switchover_bandwidth, d->value);
}

/* The real 7.2 series, fed one reading at a time: no action until the stall shows at an
 * iteration boundary, then one step to ~1100 ms (above the 500 ms cap, the blackout predicted
 * at the stated 1 GiB/s within it), then nothing more; the completed reading ends it. */
static void
test_replay_qemu72_stated_rate(void)
{
    static const Row series = {.pts = Q72_SERIES};
    CvSample samples[MAX_PTS + 1];
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    guint n_changes = 0;
    gsize n;

    n = build_samples(&series, samples);
    for (gsize i = 0; i < n; i++)
        cv_field_set(&samples[i].ram_total, Q72_RAM_TOTAL);
    /* the completed reply of the same run */
    build_sample(&(Pt)P(6521, 10, 0, 0, MISS, 621.3907869706841, 0), FALSE, Q72_RAM_TOTAL,
                 &samples[n]);
    samples[n].status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&samples[n].downtime_ms, 39);
    n++;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.switchover_bandwidth = GIB;
    policy.stall_window_passes = 3;
    policy.stall_window_ms = 0;
    /* the stall window's path; /policy/forecast/replay-qemu7.2 replays it with the forecast */
    policy.patience_ms = 0;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.max_bandwidth, 64 * MIB);
    cv_policy_history_init(&history);

    for (gsize k = 1; k <= n; k++) {
        CvDecision d = cv_policy_decide(&policy, samples, k, &params, &history);
        guint64 pass = samples[k - 1].ram_dirty_sync_count.value;

        g_test_message("t=%" G_GINT64_FORMAT " pass %" G_GUINT64_FORMAT ": %s %" G_GUINT64_FORMAT
                       " [%s] %s",
                       samples[k - 1].time_ms, pass, cv_decision_kind_to_string(d.kind), d.value,
                       cv_verdict_to_string(d.verdict), d.reason);
        if (pass < 2)
            g_assert_cmpint(d.verdict, ==, CV_VERDICT_WARMUP);
        if (k == n)
            g_assert_cmpint(d.verdict, ==, CV_VERDICT_FINISHED);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            n_changes++;
            /* the first boundary whose window reaches back 3 iterations: pass 5 vs pass 2 */
            g_assert_cmpuint(pass, ==, 5);
            g_assert_cmpuint(d.value, ==, 1100);
            g_assert_cmpint(d.verdict, ==, CV_VERDICT_STALLED);
            /* 1100 ms x 64 MiB/s / 1 GiB/s, + the default 50 ms switchover reserve */
            g_assert_cmpuint(d.predicted_blackout_ms, ==, 69 + 50);
        } else {
            g_assert_cmpint(d.kind, ==, CV_DECISION_NONE);
        }
        cv_policy_history_record(&history, &d, &samples[k - 1]);
        apply(&d, &params);
    }
    g_assert_cmpuint(n_changes, ==, 1);
    g_assert_cmpuint(history.n_downtime_changes, ==, 1);
    g_assert_cmpuint(history.last_change_pass, ==, 5);
}

/* The same series without a stated rate: the limit is held to the 500 ms cap, a wait
 * starts, and nothing else happens within the series (the wait is 60 s). */
static void
test_replay_qemu72_no_rate(void)
{
    static const Row series = {.pts = Q72_SERIES};
    CvSample samples[MAX_PTS];
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    guint64 max_limit = 0;
    gsize n;

    n = build_samples(&series, samples);
    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.stall_window_passes = 3;
    policy.stall_window_ms = 0;
    policy.patience_ms = 0; /* the stall window's path */
    policy.escalation[0].action = CV_ESCALATION_WAIT;
    policy.escalation[0].bound_ms = 60000;
    policy.escalation[1].action = CV_ESCALATION_ABORT;
    policy.n_escalation = 2;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_policy_history_init(&history);

    for (gsize k = 1; k <= n; k++) {
        CvDecision d = cv_policy_decide(&policy, samples, k, &params, &history);

        g_assert_true(d.kind == CV_DECISION_NONE || d.kind == CV_DECISION_SET_DOWNTIME_LIMIT);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            max_limit = MAX(max_limit, d.value);
        cv_policy_history_record(&history, &d, &samples[k - 1]);
        apply(&d, &params);
    }
    g_assert_cmpuint(max_limit, ==, 500 - 50); /* the cap less the default reserve */
    g_assert_cmpuint(history.escalation_index, ==, 1);
    g_assert_cmpint(history.cap_reached_ms, ==, 3514);
    g_assert_cmpint(history.escalation_started_ms, ==, 3514);
}

/* The vGPU guest on QEMU 11.1 from attach to completion: bandwidth first, then one step. */
static void
test_scenario_vgpu(void)
{
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    CvSample samples[64];
    guint n_bw = 0, n_limit = 0;
    guint64 limit = 0;
    gsize n = 0;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 5000;
    policy.switchover_bandwidth = GIB;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.avail_switchover_bandwidth, 0);
    params.vfio_devices = CV_TRI_YES;
    cv_policy_history_init(&history);

    for (gint64 t = 1000; t <= 30000 && n < G_N_ELEMENTS(samples); t += 1000) {
        /* QEMU's figure follows the switchover rate: 500 MB/s measured, 1 GiB/s once set */
        gboolean bw_set = params.avail_switchover_bandwidth.value == GIB;
        Pt p = P(t, 100 + (guint64)t / 10 * 3, VG, 4 * MIB, bw_set ? 1910 : 4102, 4000.0, 256);
        CvDecision d;

        build_sample(&p, TRUE, 4 * GIB, &samples[n]);
        if (params.downtime_limit_ms.value >= 2000)
            samples[n].status = CV_MIGRATION_STATUS_COMPLETED;
        n++;
        d = cv_policy_decide(&policy, samples, n, &params, &history);
        if (d.kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH) {
            n_bw++;
            g_assert_cmpuint(n_limit, ==, 0);
            g_assert_cmpuint(d.value, ==, GIB);
        } else if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            n_limit++;
            g_assert_cmpuint(n_bw, ==, 1);
            limit = d.value;
        } else {
            g_assert_cmpint(d.kind, ==, CV_DECISION_NONE);
        }
        cv_policy_history_record(&history, &d, &samples[n - 1]);
        apply(&d, &params);
        if (d.verdict == CV_VERDICT_FINISHED)
            break;
    }
    g_assert_cmpuint(n_bw, ==, 1);
    g_assert_cmpuint(n_limit, ==, 1);
    g_assert_cmpuint(limit, ==, 2110);
    g_assert_true(history.switchover_bandwidth_set);
    g_assert_cmpint(samples[n - 1].status, ==, CV_MIGRATION_STATUS_COMPLETED);
}

/* The issue's reproduction on QEMU 7.2, engine and a crude QEMU in a loop: 1.5 GiB kept dirty,
 * precopy at 8 Gbit/s, 800 Mbit/s from 25 s, 8 Gbit/s again from 100 s (each held to
 * max-bandwidth), a 10 Gbit/s link, the link stated as 1 GiB/s, a 500 ms cap. One iteration
 * and one evaluation a second. QEMU's rule: switch over once pending <= the rate measured now
 * x downtime-limit; the blackout is then pending / link. Whatever the engine does, a
 * switchover must never take longer than the cap. */
typedef struct {
    const gchar *name;
    guint64 max_bandwidth;        /* 0 = libvirt's unlimited (reads invalid) */
    gint64 raise_at_ms;           /* someone sets max-bandwidth to raise_to then; 0 = never */
    guint64 raise_to;             /* 0 = unlimited */
    guint64 highest_limit;        /* the highest limit the engine sets */
    gboolean lowered_after_raise; /* our limit is lowered at the first evaluation after it */
} SwingRow;

static const SwingRow swing_rows[] = {
    /* no bound on the rate: the limit is held to the cap less the default 50 ms reserve */
    {"unlimited", 0, 0, 0, 450, FALSE},
    /* max-bandwidth at what the stream reaches, below the stated 1 GiB/s: 450 x 1.07 -> 480 ms */
    {"max-bandwidth-8gbit", 1000000000, 0, 0, 480, FALSE},
    /* throttled to 256 MiB/s: up to 450 x 4 = 1800 ms, until max-bandwidth goes back to
     * unlimited */
    {"max-bandwidth-raised", 256 * MIB, 60000, 0, 1800, TRUE},
    /* ... or to 512 MiB/s: the ceiling halves */
    {"max-bandwidth-doubled", 256 * MIB, 60000, 512 * MIB, 1800, TRUE},
};

static void
test_scenario_rate_swing(gconstpointer data)
{
    const SwingRow *row = data;
    const gdouble pending = 1.5 * (gdouble)GIB;
    const gdouble link = 1.25e9;
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    CvSample window[16];
    guint64 highest = 0;
    gboolean switched = FALSE, lowered = FALSE;
    gsize n = 0;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.switchover_bandwidth = GIB;
    /* the over-cap ceiling as issue 7 found it: raised to it at once (with the forecast the raise
     * waits for the patience when even the ceiling cannot converge it) */
    policy.patience_ms = 0;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    if (row->max_bandwidth > 0)
        cv_field_set(&params.max_bandwidth, row->max_bandwidth);
    else
        params.max_bandwidth.state = CV_FIELD_INVALID;
    cv_policy_history_init(&history);

    for (gint64 t = 1000; t <= 400000 && !switched && !history.aborted; t += 1000) {
        gdouble rate = t < 25000 || t >= 100000 ? 1e9 : 1e8;
        guint64 limit = params.downtime_limit_ms.value;
        gboolean raised_now = FALSE;
        Pt p;
        CvDecision d;

        if (row->raise_at_ms != 0 && t == row->raise_at_ms) {
            if (row->raise_to > 0)
                cv_field_set(&params.max_bandwidth, row->raise_to);
            else
                params.max_bandwidth.state = CV_FIELD_INVALID;
            raised_now = TRUE;
        }
        if (cv_field_valid(&params.max_bandwidth))
            rate = MIN(rate, (gdouble)params.max_bandwidth.value);
        /* QEMU, between two evaluations */
        if (pending <= rate * (gdouble)limit / 1000.0) {
            gdouble blackout_ms = pending / link * 1000.0 + 10.0;

            g_test_message("t=%" G_GINT64_FORMAT ": switchover at limit %" G_GUINT64_FORMAT
                           " ms, blackout %.0f ms",
                           t, limit, blackout_ms);
            g_assert_cmpfloat(blackout_ms, <=, (gdouble)policy.max_downtime_ms);
            switched = TRUE;
            break;
        }
        p = (Pt)P(t, (guint64)(t / 1000), 0, (guint64)pending, (guint64)(pending * 1000.0 / rate),
                  rate * 8.0 / 1e6, 350000);
        if (n == G_N_ELEMENTS(window)) {
            memmove(window, window + 1, sizeof(window) - sizeof(window[0]));
            n--;
        }
        build_sample(&p, FALSE, 8 * GIB, &window[n++]);
        d = cv_policy_decide(&policy, window, n, &params, &history);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            g_test_message("t=%" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " ms: %s", t, d.value,
                           d.reason);
            g_assert_cmpuint(d.predicted_blackout_ms, <=, policy.max_downtime_ms);
            highest = MAX(highest, d.value);
            if (d.value < limit)
                lowered = TRUE;
        }
        if (raised_now && row->lowered_after_raise) {
            g_assert_cmpint(d.kind, ==, CV_DECISION_SET_DOWNTIME_LIMIT);
            g_assert_cmpuint(d.value, <, limit);
            g_assert_nonnull(strstr(d.reason, "max-bandwidth now"));
        }
        cv_policy_history_record(&history, &d, &window[n - 1]);
        apply(&d, &params);
    }
    g_assert_cmpuint(highest, ==, row->highest_limit);
    g_assert_cmpint(lowered, ==, row->lowered_after_raise);
    /* 1.5 GiB never fits a 500 ms blackout at 10 Gbit/s: the policy's wait, then abort */
    g_assert_false(switched);
    g_assert_true(history.aborted);
}

/* A cap too low on a guest that never converges: the full walk in order, each step after its
 * bound, the engine called every 5 s with the history recorded after every decision. */
static void
test_scenario_escalation_walk(void)
{
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    CvSample window[16];
    CvDecisionKind seen[8];
    gint64 seen_t[8];
    guint n_seen = 0;
    gsize n = 0;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 5000;
    policy.switchover_bandwidth = GIB;
    policy.escalation[0] = (CvEscalationStep){CV_ESCALATION_WAIT, 60000};
    policy.escalation[1] = (CvEscalationStep){CV_ESCALATION_POSTCOPY, 60000};
    policy.escalation[2] = (CvEscalationStep){CV_ESCALATION_PAUSE, 30000};
    policy.escalation[3] = (CvEscalationStep){CV_ESCALATION_ABORT, 0};
    policy.n_escalation = 4;
    policy.completion_timeout_ms_per_gib = 0;
    /* the walk itself, from a stall found by the window (no hold for the patience: see
     * /policy/forecast/scenario/hold-then-walk) */
    policy.patience_ms = 0;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.avail_switchover_bandwidth, GIB);
    params.postcopy_ram = CV_TRI_YES;
    params.vfio_devices = CV_TRI_NO;
    cv_policy_history_init(&history);

    for (gint64 t = 5000; t <= 600000; t += 5000) {
        Pt p = ESC_PT(t, (guint64)t / 1000);
        CvDecision d;

        if (n == G_N_ELEMENTS(window)) {
            memmove(window, window + 1, sizeof(window) - sizeof(window[0]));
            n--;
        }
        build_sample(&p, FALSE, 4 * GIB, &window[n++]);
        d = cv_policy_decide(&policy, window, n, &params, &history);
        if (d.kind != CV_DECISION_NONE) {
            g_assert_cmpuint(n_seen, <, G_N_ELEMENTS(seen));
            seen[n_seen] = d.kind;
            seen_t[n_seen++] = t;
            g_test_message("t=%" G_GINT64_FORMAT ": %s", t, d.reason);
        }
        if (history.cap_reached_ms != 0)
            g_assert_cmpint(d.verdict, ==, CV_VERDICT_ESCALATING);
        cv_policy_history_record(&history, &d, &window[n - 1]);
        apply(&d, &params);
    }
    g_assert_cmpuint(n_seen, ==, 4);
    g_assert_cmpint(seen[0], ==, CV_DECISION_SET_DOWNTIME_LIMIT);
    g_assert_cmpint(seen[1], ==, CV_DECISION_START_POSTCOPY);
    g_assert_cmpint(seen[2], ==, CV_DECISION_PAUSE_GUEST);
    g_assert_cmpint(seen[3], ==, CV_DECISION_ABORT);
    /* each step after its bound, and not much later than the next 5 s call */
    g_assert_cmpint(seen_t[1] - seen_t[0], >=, 60000);
    g_assert_cmpint(seen_t[1] - seen_t[0], <=, 65000);
    g_assert_cmpint(seen_t[2] - seen_t[1], >=, 60000);
    g_assert_cmpint(seen_t[2] - seen_t[1], <=, 65000);
    g_assert_cmpint(seen_t[3] - seen_t[2], >=, 30000);
    g_assert_cmpint(seen_t[3] - seen_t[2], <=, 35000);
    g_assert_cmpuint(params.downtime_limit_ms.value, ==, 5000 - 50); /* less the reserve */
    g_assert_true(history.postcopy_started && history.guest_paused && history.aborted);
    g_assert_cmpuint(history.escalation_index, ==, 4);
    g_assert_cmpint(history.cap_reached_ms, ==, seen_t[0]);
}

/* --- the forecast, call after call ------------------------------------------------------ */

/* The real 7.2 series again, with the mid-iteration flags the tuner sets when it polls every
 * 0.5 s without pass events (a new pass is a boundary only right after an iteration it read
 * twice): p3, p5 and p7 are left out, p2, p4, p6 and p8 are boundaries. The forecast says never
 * at p6, three boundaries over 3 s, and raises once. */
static void
test_forecast_replay_qemu72(void)
{
    static const Row series = {.pts = Q72_SERIES};
    CvSample samples[MAX_PTS];
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    guint n_changes = 0;
    gsize n;

    n = build_samples(&series, samples);
    for (gsize i = 0; i < n; i++) {
        guint64 pass = samples[i].ram_dirty_sync_count.value;

        samples[i].mid_iteration = pass == 3 || pass == 5 || pass == 7;
    }
    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.switchover_bandwidth = GIB;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.max_bandwidth, 64 * MIB);
    cv_policy_history_init(&history);
    for (gsize k = 1; k <= n; k++) {
        CvDecision d = cv_policy_decide(&policy, samples, k, &params, &history);
        guint64 pass = samples[k - 1].ram_dirty_sync_count.value;

        g_test_message("t=%" G_GINT64_FORMAT " pass %" G_GUINT64_FORMAT ": %s %" G_GUINT64_FORMAT
                       " [%s] %s",
                       samples[k - 1].time_ms, pass, cv_decision_kind_to_string(d.kind), d.value,
                       cv_verdict_to_string(d.verdict), d.reason);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            n_changes++;
            /* too few boundaries for a factor at pass 4 (the mid-iteration reading at pass 3
             * left out), but QEMU's rates say it: the guest dirties what is sent, and even a
             * reading that may read low is above the threshold */
            g_assert_cmpuint(pass, ==, 4);
            g_assert_cmpuint(d.value, ==, 1100);
            g_assert_cmpuint(d.predicted_blackout_ms, ==, 69 + 50); /* + the reserve */
            g_assert_nonnull(strstr(d.reason, "pending at least 32.05 MiB (mid-iteration readings "
                                              "included) over 3 readings/1.5 s"));
            g_assert_nonnull(strstr(d.reason, "never at 300 ms, the guest dirties x0.98"));
        } else {
            g_assert_cmpint(d.kind, ==, CV_DECISION_NONE);
        }
        cv_policy_history_record(&history, &d, &samples[k - 1]);
        apply(&d, &params);
    }
    g_assert_cmpuint(n_changes, ==, 1);
}

/* A crude QEMU 7.2 around the engine, the e2e guest's shape: 64 MiB dirtied continuously behind
 * a 64 MiB/s max-bandwidth, an iteration every 0.7 s, pending and the measured rate moving 1 %
 * between boundaries; the tuner reads each boundary (pass events). QEMU switches over once
 * pending <= rate x limit; the final copy runs at the unthrottled 1.25 GB/s. The stall is there
 * from the first boundary (pass 2): the first action comes within 3 iterations of it, and the
 * pause QEMU then takes is within the cap. */
static void
test_forecast_scenario_e2e_shape(void)
{
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    CvSample samples[64];
    guint64 first_pass = 0;
    gboolean switched = FALSE;
    gsize n = 0;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 2000;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.max_bandwidth, 64 * MIB);
    cv_policy_history_init(&history);
    build_sample(&(Pt)P(500, 1, 0, 200 * MIB, 300, M64, 0), FALSE, 256 * MIB, &samples[n++]);
    for (guint64 pass = 2; pass < 40 && !switched; pass++) {
        gdouble wobble = pass % 2 == 0 ? 1.01 : 0.99;
        gdouble pending = 64.0 * (gdouble)MIB * wobble;
        gdouble rate = 67108864.0 / wobble;
        CvDecision d;

        if (pending <= rate * (gdouble)params.downtime_limit_ms.value / 1000.0) {
            gdouble pause_ms = pending / 1.25e9 * 1000.0 + 10.0;

            g_test_message("pass %" G_GUINT64_FORMAT ": switchover at %" G_GUINT64_FORMAT
                           " ms, pause %.0f ms",
                           pass, params.downtime_limit_ms.value, pause_ms);
            g_assert_cmpfloat(pause_ms, <=, (gdouble)policy.max_downtime_ms);
            switched = TRUE;
            break;
        }
        g_assert_cmpuint(n, <, G_N_ELEMENTS(samples));
        build_sample(
            &(Pt)P((gint64)(pass * 700), pass, 0, (guint64)pending, 999, rate * 8.0 / 1e6, 16384),
            FALSE, 256 * MIB, &samples[n++]);
        d = cv_policy_decide(&policy, samples, n, &params, &history);
        g_test_message("pass %" G_GUINT64_FORMAT ": %s %" G_GUINT64_FORMAT " [%s] %s", pass,
                       cv_decision_kind_to_string(d.kind), d.value, cv_verdict_to_string(d.verdict),
                       d.reason);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT && first_pass == 0) {
            first_pass = pass;
            g_assert_nonnull(strstr(d.reason, "never at 300 ms"));
        }
        cv_policy_history_record(&history, &d, &samples[n - 1]);
        apply(&d, &params);
    }
    g_assert_true(switched);
    g_assert_cmpuint(first_pass, >=, 2);
    g_assert_cmpuint(first_pass, <=, 2 + 3);
}

/* converge-late's shape on QEMU 11.1 under the default policy (1 s cap): 1.3 GB kept dirty at
 * 500 MB/s for 60 s, which needs 2.6 s, then the workload calms and pending falls tenfold per
 * iteration. Even the cap cannot converge the busy phase, so nothing is raised within the
 * patience; the workload calms first and QEMU switches over at 300 ms by itself. With a 30 s
 * patience the engine accepts the cap's longer pause once it is spent. */
typedef struct {
    const gchar *name;
    guint64 patience_ms;
    guint expect_changes;
} LateRow;

static const LateRow late_rows[] = {
    {"default-patience-untouched", 120000, 0},
    {"patience-30s-raised", 30000, 1},
};

static void
test_forecast_scenario_converge_late(gconstpointer data)
{
    const LateRow *row = data;
    CvPolicy policy;
    CvParams params;
    CvPolicyHistory history;
    CvSample window[24];
    gdouble pending = 1.5e9;
    gint64 t = 0, held_since = 0, raised_at = 0;
    guint changes = 0;
    gboolean switched = FALSE;
    gsize n = 0;

    cv_policy_init_default(&policy);
    policy.patience_ms = row->patience_ms;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_policy_history_init(&history);
    for (guint64 pass = 1; pass < 200 && !switched; pass++) {
        gdouble threshold = 5e8 * (gdouble)params.downtime_limit_ms.value / 1000.0;
        Pt p;
        CvDecision d;

        if (pass > 1 && pending <= threshold) {
            gdouble pause_ms = pending / 1.25e9 * 1000.0 + 10.0;

            g_test_message("t=%" G_GINT64_FORMAT ": switchover at %" G_GUINT64_FORMAT
                           " ms, pause %.0f ms",
                           t, params.downtime_limit_ms.value, pause_ms);
            g_assert_cmpfloat(pause_ms, <=, (gdouble)policy.max_downtime_ms);
            switched = TRUE;
            break;
        }
        /* the next iteration: what is sent until QEMU syncs, while the guest dirties */
        t += pass == 1 ? 3000 : (gint64)((pending - threshold) / 5e8 * 1000.0) + 1;
        pending = t < 60000 ? 1.3e9 * (pass % 2 == 0 ? 1.02 : 0.98) : pending * 0.1 + 4e6;
        p = (Pt)P(t, pass, (guint64)pending, (guint64)pending, (guint64)(pending / 5e8 * 1000.0),
                  4000.0, t < 60000 ? 200000 : 1000);
        if (n == G_N_ELEMENTS(window)) {
            memmove(window, window + 1, sizeof(window) - sizeof(window[0]));
            n--;
        }
        build_sample(&p, FALSE, 8 * GIB, &window[n++]);
        d = cv_policy_decide(&policy, window, n, &params, &history);
        g_test_message("t=%" G_GINT64_FORMAT " pass %" G_GUINT64_FORMAT ": %s %" G_GUINT64_FORMAT
                       " [%s] %s",
                       t, pass, cv_decision_kind_to_string(d.kind), d.value,
                       cv_verdict_to_string(d.verdict), d.reason);
        g_assert_true(d.kind == CV_DECISION_NONE || d.kind == CV_DECISION_SET_DOWNTIME_LIMIT);
        if (d.verdict == CV_VERDICT_ESCALATING && held_since == 0)
            held_since = t;
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            changes++;
            raised_at = t;
            g_assert_cmpuint(d.value, ==, policy.max_downtime_ms - cv_policy_reserve(&policy));
            g_assert_nonnull(strstr(d.reason, "patience 30.0 s spent"));
        }
        cv_policy_history_record(&history, &d, &window[n - 1]);
        apply(&d, &params);
    }
    g_assert_true(switched);
    g_assert_false(history.aborted);
    g_assert_cmpint(held_since, >, 0);
    g_assert_cmpuint(changes, ==, row->expect_changes);
    if (row->expect_changes > 0) {
        g_assert_cmpint(raised_at - held_since, >=, (gint64)row->patience_ms);
        g_assert_cmpint(raised_at - held_since, <=, (gint64)row->patience_ms + 5000);
    } else {
        g_assert_cmpuint(params.downtime_limit_ms.value, ==, 300);
    }
}

/* --- small pieces -------------------------------------------------------------------- */

static void
test_history_record(void)
{
    CvPolicyHistory h;
    CvDecision d;
    CvSample s;

    cv_policy_history_init(&h);
    cv_sample_init(&s);
    s.time_ms = 42000;
    cv_field_set(&s.ram_dirty_sync_count, 17);

    memset(&d, 0, sizeof(d));
    d.kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
    d.verdict = CV_VERDICT_STALLED;
    d.value = GIB;
    cv_policy_history_record(&h, &d, &s);
    g_assert_true(h.switchover_bandwidth_set);
    g_assert_cmpuint(h.our_switchover_bandwidth, ==, GIB);
    g_assert_cmpuint(h.our_downtime_limit_ms, ==, 0);
    g_assert_cmpuint(h.last_change_pass, ==, 17);
    g_assert_cmpint(h.last_change_time_ms, ==, 42000);
    g_assert_cmpuint(h.n_downtime_changes, ==, 0);
    g_assert_cmpint(h.cap_reached_ms, ==, 0);

    d.kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d.source = CV_ESTIMATE_LADDER;
    d.value = 600;
    cv_field_set(&s.ram_dirty_sync_count, 18);
    cv_policy_history_record(&h, &d, &s);
    g_assert_cmpuint(h.our_downtime_limit_ms, ==, 600);
    g_assert_cmpuint(h.our_switchover_bandwidth, ==, GIB);
    g_assert_cmpuint(h.n_downtime_changes, ==, 1);
    g_assert_cmpuint(h.ladder_steps, ==, 1);
    g_assert_cmpuint(h.last_change_pass, ==, 18);

    /* a NONE decision that starts a wait step and marks the cap reached */
    memset(&d, 0, sizeof(d));
    d.verdict = CV_VERDICT_ESCALATING;
    d.escalation_next = 1;
    s.time_ms = 50000;
    cv_policy_history_record(&h, &d, &s);
    g_assert_cmpint(h.cap_reached_ms, ==, 50000);
    g_assert_cmpuint(h.escalation_index, ==, 1);
    g_assert_cmpint(h.escalation_started_ms, ==, 50000);
    g_assert_cmpuint(h.last_change_pass, ==, 18);

    /* waiting: nothing moves */
    d.escalation_next = 0;
    s.time_ms = 60000;
    cv_policy_history_record(&h, &d, &s);
    g_assert_cmpint(h.cap_reached_ms, ==, 50000);
    g_assert_cmpint(h.escalation_started_ms, ==, 50000);

    d.kind = CV_DECISION_START_POSTCOPY;
    d.escalation_next = 3; /* a refused step skipped on the way */
    s.time_ms = 111000;
    cv_policy_history_record(&h, &d, &s);
    g_assert_true(h.postcopy_started);
    g_assert_cmpuint(h.escalation_index, ==, 3);
    g_assert_cmpint(h.escalation_started_ms, ==, 111000);

    d.kind = CV_DECISION_PAUSE_GUEST;
    d.escalation_next = 4;
    cv_policy_history_record(&h, &d, &s);
    g_assert_true(h.guest_paused);
    d.kind = CV_DECISION_ABORT;
    d.escalation_next = 5;
    cv_policy_history_record(&h, &d, &s);
    g_assert_true(h.aborted);
    g_assert_cmpuint(h.escalation_index, ==, 5);
    /* escalation steps do not change which values are ours */
    g_assert_cmpuint(h.our_downtime_limit_ms, ==, 600);
    /* escalation steps are not parameter changes */
    g_assert_cmpuint(h.n_downtime_changes, ==, 1);
    g_assert_cmpuint(h.last_change_pass, ==, 18);
    g_assert_cmpint(h.last_change_time_ms, ==, 42000);

    /* a reading stamped 0 still leaves a mark ("0 = never") */
    cv_policy_history_init(&h);
    s.time_ms = 0;
    memset(&d, 0, sizeof(d));
    d.verdict = CV_VERDICT_ESCALATING;
    cv_policy_history_record(&h, &d, &s);
    g_assert_cmpint(h.cap_reached_ms, >, 0);
}

/* A new epoch forgets the old migration's progress, not which parameter values are ours: an
 * over-cap limit we set before the counter reset is still lowered when max-bandwidth rises. */
static void
test_history_new_epoch(void)
{
    CvPolicyHistory h, fresh;
    CvPolicy policy;
    CvParams params;
    CvSample s;
    CvDecision d;

    cv_policy_history_init(&h);
    h.original_downtime_limit_ms = 300;
    h.switchover_bandwidth_set = TRUE;
    h.our_switchover_bandwidth = GIB;
    h.our_downtime_limit_ms = 2000;
    h.n_downtime_changes = 3;
    h.last_change_pass = 4000;
    h.last_change_time_ms = 90000;
    h.ladder_steps = 2;
    h.escalation_index = 1;
    h.escalation_started_ms = 80000;
    h.cap_reached_ms = 80000;
    h.postcopy_started = h.guest_paused = h.aborted = TRUE;
    cv_policy_history_new_epoch(&h);

    cv_policy_history_init(&fresh);
    fresh.original_downtime_limit_ms = 300;
    fresh.switchover_bandwidth_set = TRUE;
    fresh.our_switchover_bandwidth = GIB;
    fresh.our_downtime_limit_ms = 2000;
    g_assert_cmpmem(&h, sizeof(h), &fresh, sizeof(fresh));

    /* the first reading of the new migration: our 2000 ms, max-bandwidth now unlimited */
    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.switchover_bandwidth = GIB;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 2000);
    params.max_bandwidth.state = CV_FIELD_INVALID;
    build_sample(&(Pt)P(1000, 1, 0, GIB, 2000, 0.0, 0), FALSE, 4 * GIB, &s);
    d = cv_policy_decide(&policy, &s, 1, &params, &h);
    g_assert_cmpint(d.kind, ==, CV_DECISION_SET_DOWNTIME_LIMIT);
    g_assert_cmpuint(d.value, ==, 500 - 50); /* the cap less the default reserve */
    g_assert_cmpint(d.verdict, ==, CV_VERDICT_WARMUP);
}

static void
test_escalation_strings(void)
{
    static const gchar *const names[] = {"wait", "postcopy", "pause", "abort"};
    CvEscalationAction a;

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_assert_true(cv_escalation_action_from_string(names[i], &a));
        g_assert_cmpint(a, ==, (CvEscalationAction)i);
        g_assert_cmpstr(cv_escalation_action_to_string(a), ==, names[i]);
    }
    g_assert_false(cv_escalation_action_from_string("Abort", &a));
    g_assert_false(cv_escalation_action_from_string("", &a));
    g_assert_false(cv_escalation_action_from_string(NULL, &a));
    g_assert_cmpstr(cv_escalation_action_to_string((CvEscalationAction)99), ==, "unknown");
}

/* The documented defaults; the config's `default` policy mirrors them. */
static void
test_defaults(void)
{
    CvPolicy p;

    cv_policy_init_default(&p);
    g_assert_cmpstr(p.name, ==, "default");
    g_assert_cmpuint(p.max_downtime_ms, ==, 1000);
    g_assert_cmpfloat_with_epsilon(p.margin, 0.10, 1e-9);
    g_assert_cmpuint(p.switchover_bandwidth, ==, 0);
    g_assert_cmpuint(p.stall_window_passes, ==, 3);
    g_assert_cmpuint(p.stall_window_ms, ==, 10000);
    g_assert_cmpfloat_with_epsilon(p.stall_min_progress, 0.04, 1e-9);
    g_assert_cmpuint(p.n_escalation, ==, 2);
    g_assert_cmpint(p.escalation[0].action, ==, CV_ESCALATION_WAIT);
    g_assert_cmpint(p.escalation[1].action, ==, CV_ESCALATION_ABORT);
    g_assert_cmpuint(p.escalation[0].bound_ms, ==, 0);
    g_assert_cmpuint(p.wait_time_ms, ==, 120000);
    g_assert_cmpuint(p.completion_timeout_ms, ==, 0);
    g_assert_cmpuint(p.completion_timeout_ms_per_gib, ==, 150000);
}

typedef struct {
    guint64 needed;
    gdouble margin;
    guint64 expect;
} LimitRow;

static const LimitRow limit_rows[] = {
    {1910, 0.10, 2110},
    {999, 0.10, 1100},
    {1000, 0.10, 1100},
    {4545, 0.10, 5000},
    {0, 0.10, 0},
    {1, 0.0, 10},
    {300, 0.0, 300},
    {301, 0.0, 310},
    {100, -1.0, 100},
    {2000000, 0.10, 2000000},
    {G_MAXUINT64, 0.10, 2000000},
};

static void
test_limit_for(gconstpointer data)
{
    const LimitRow *row = data;

    g_assert_cmpuint(cv_policy_limit_for(row->needed, row->margin), ==, row->expect);
}

static void
test_no_samples(void)
{
    CvPolicy policy;
    CvDecision d;

    cv_policy_init_default(&policy);
    d = cv_policy_decide(&policy, NULL, 0, NULL, NULL);
    g_assert_cmpint(d.verdict, ==, CV_VERDICT_BLIND);
    g_assert_cmpint(d.kind, ==, CV_DECISION_NONE);
    g_assert_nonnull(strstr(d.reason, "no sample"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/policy/%s", rows[i].name);
        g_test_add_data_func(path, &rows[i], test_row);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(limit_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/policy/limit-for/%" G_GUINT64_FORMAT "x%.2f",
                                                 limit_rows[i].needed, 1.0 + limit_rows[i].margin);
        g_test_add_data_func(path, &limit_rows[i], test_limit_for);
    }
    g_test_add_func("/policy/replay/qemu7.2-stated-rate", test_replay_qemu72_stated_rate);
    g_test_add_func("/policy/replay/qemu7.2-no-rate", test_replay_qemu72_no_rate);
    g_test_add_func("/policy/scenario/vgpu-2g", test_scenario_vgpu);
    g_test_add_func("/policy/scenario/escalation-walk", test_scenario_escalation_walk);
    g_test_add_func("/policy/forecast/replay-qemu7.2", test_forecast_replay_qemu72);
    g_test_add_func("/policy/forecast/scenario/e2e-shape", test_forecast_scenario_e2e_shape);
    for (gsize i = 0; i < G_N_ELEMENTS(late_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/policy/forecast/scenario/converge-late/%s", late_rows[i].name);
        g_test_add_data_func(path, &late_rows[i], test_forecast_scenario_converge_late);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(swing_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/policy/scenario/rate-swing-qemu7.2/%s", swing_rows[i].name);
        g_test_add_data_func(path, &swing_rows[i], test_scenario_rate_swing);
    }
    g_test_add_func("/policy/history/record", test_history_record);
    g_test_add_func("/policy/history/new-epoch", test_history_new_epoch);
    g_test_add_func("/policy/escalation/strings", test_escalation_strings);
    g_test_add_func("/policy/defaults", test_defaults);
    g_test_add_func("/policy/no-samples", test_no_samples);
    return g_test_run();
}
