/* Migration parameters and capabilities as each QEMU version lists, accepts and rejects
 * them (query-migrate-parameters, migrate-set-parameters, query-migrate-capabilities,
 * migrate-set-capabilities). Pure: JSON in, JSON out, QEMU's error texts. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-sim-scenario.h"

G_BEGIN_DECLS

#define CV_SIM_PARAMS_ERROR (cv_sim_params_error_quark())
GQuark cv_sim_params_error_quark(void);

/* All are QEMU GenericErrors; the message is QEMU's desc. */
typedef enum {
    CV_SIM_PARAMS_ERROR_INVALID = 0, /* wrong type, unknown member, missing member */
    CV_SIM_PARAMS_ERROR_RANGE,       /* a value outside what QEMU accepts */
    CV_SIM_PARAMS_ERROR_IN_PROGRESS, /* capabilities during a migration */
} CvSimParamsErrorCode;

typedef struct _CvSimParams CvSimParams;

/* Defaults of @version, then the scenario's [parameters] and [capabilities]. */
CvSimParams *cv_sim_params_new(CvSimQemuVersion version, const CvSimScenario *scenario);
void cv_sim_params_free(CvSimParams *params);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSimParams, cv_sim_params_free)

/* The return value of query-migrate-parameters (a new object node). */
JsonNode *cv_sim_params_query(const CvSimParams *params);
/* The return value of query-migrate-capabilities (a new array node). */
JsonNode *cv_sim_params_query_capabilities(const CvSimParams *params);

/* migrate-set-parameters: all members are checked before any is applied. @arguments may be
 * NULL (no member: nothing changes). */
gboolean cv_sim_params_set(CvSimParams *params, JsonObject *arguments, GError **error);
/* migrate-set-capabilities; @migrating refuses after the arguments were checked, as QEMU. */
gboolean cv_sim_params_set_capabilities(CvSimParams *params, JsonObject *arguments,
                                        gboolean migrating, GError **error);

/* Current values, for the model. Unknown names (for this version) read as 0 / FALSE. */
guint64 cv_sim_params_get_u64(const CvSimParams *params, const gchar *name);
gboolean cv_sim_params_get_capability(const CvSimParams *params, const gchar *name);

G_END_DECLS
