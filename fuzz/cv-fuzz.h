/* The fuzz entries of the parsers of untrusted input, shared by the libFuzzer targets
 * (fuzz-main.c) and the corpus replay test (tests/test-fuzz-corpus.c). Each returns 0 and
 * aborts on a property violation. */
#pragma once

#include <glib.h>

#include "cv-fuzz-qmp-line.h" /* cv_fuzz_qmp_line() */

G_BEGIN_DECLS

/* libvirt job statistics as `virsh domjobinfo --rawstats` prints them, built into a
 * virTypedParameter array: "Job type: N", "State: STATE REASON", then "key: value" or
 * "key:T: value" lines, T one of i u l U d b s (int, uint, llong, ullong, double, boolean,
 * string; untyped numbers are ullong, or llong when negative, anything else a string). Keys
 * may repeat and are cut to libvirt's field length, as a buggy or hostile driver could send. */
int cv_fuzz_jobstats(const guint8 *data, gsize size);

/* virt-converged.conf text, then drop-ins: parts separated by a "\n%%\n" line; the first is
 * the main file, the others policies.d/NN.conf. A loaded configuration is checked and its
 * policies round-tripped through cv_config_policy_to_string(). */
int cv_fuzz_config(const guint8 *data, gsize size);

/* A domain XML or our <metadata> element, through cv_config_metadata_parse(). */
int cv_fuzz_metadata(const guint8 *data, gsize size);

/* A migration state record. The first byte is a mode: bit 0 recomputes the checksum (so the
 * fuzzer gets past it), bit 1 also loads it through a real state directory (a file the store
 * does not trust must be quarantined or, for a newer version, left in place), bit 2 also reads
 * the bytes as a history file. */
int cv_fuzz_state(const guint8 *data, gsize size);

/* The learned store (STATE_DIR/learned/DEST.jsonl). The first byte sets the window (low
 * nibble + 1) and the minimum count (high nibble + 1); the rest is the file. Loaded, applied
 * to a learned policy and appended to: every kept observation sane, the rate the lowest of the
 * window, a rewrite that reads back whole. */
int cv_fuzz_learned(const guint8 *data, gsize size);

G_END_DECLS
