/* CvQmpClient knobs for tests only. */
#pragma once

#include <glib.h>

#include "cv-qmp-client.h"

G_BEGIN_DECLS

/* The framer's line bound (default CV_QMP_MAX_LINE_DEFAULT); takes effect at the next
 * connect. */
void cv_qmp_client_set_max_line(CvQmpClient *client, gsize max_line);
/* Bytes read per wakeup (default 16 KiB); 1 splits every reply into one-byte reads. Takes
 * effect at the next connect. */
void cv_qmp_client_set_read_size(CvQmpClient *client, gsize read_size);
/* FALSE: report success right after the greeting without sending qmp_capabilities, so a
 * test can see what QEMU does with commands before the handshake. */
void cv_qmp_client_set_negotiate(CvQmpClient *client, gboolean negotiate);
/* Reads that returned data since the client was created: lets a test prove that a reply
 * really arrived in pieces. */
guint cv_qmp_client_get_n_reads(const CvQmpClient *client);
/* The output bound (default CV_QMP_MAX_OUTPUT_DEFAULT). */
void cv_qmp_client_set_max_output(CvQmpClient *client, gsize max_output);
/* Commands waiting for their reply (not those that timed out). */
guint cv_qmp_client_get_n_pending(const CvQmpClient *client);
/* Commands that timed out after being written, whose reply QEMU still owes. */
guint cv_qmp_client_get_n_timed_out(const CvQmpClient *client);
/* Bytes of commands not yet written to the socket. */
gsize cv_qmp_client_get_output_size(const CvQmpClient *client);

G_END_DECLS
