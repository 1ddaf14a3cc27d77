#include "config.h"

#include <glib.h>

#include "cv-qmp-error.h"

/* Written by hand: G_DEFINE_QUARK with a dashed name does not survive clang-format. */
GQuark
cv_qmp_error_quark(void)
{
    return g_quark_from_static_string("cv-qmp-error-quark");
}

typedef struct {
    CvQmpErrorCode code;
    const gchar *klass;
} CvQmpErrorClass;

/* The classes of qapi/error.json (QapiErrorClass); every other class maps to FAILED. */
static const CvQmpErrorClass error_classes[] = {
    {CV_QMP_ERROR_GENERIC_ERROR, "GenericError"},
    {CV_QMP_ERROR_COMMAND_NOT_FOUND, "CommandNotFound"},
    {CV_QMP_ERROR_DEVICE_NOT_ACTIVE, "DeviceNotActive"},
    {CV_QMP_ERROR_DEVICE_NOT_FOUND, "DeviceNotFound"},
    {CV_QMP_ERROR_KVM_MISSING_CAP, "KVMMissingCap"},
};

const gchar *
cv_qmp_error_code_to_class(CvQmpErrorCode code)
{
    for (gsize i = 0; i < G_N_ELEMENTS(error_classes); i++) {
        if (error_classes[i].code == code)
            return error_classes[i].klass;
    }
    return NULL;
}

CvQmpErrorCode
cv_qmp_error_code_from_class(const gchar *klass)
{
    if (klass == NULL)
        return CV_QMP_ERROR_FAILED;
    for (gsize i = 0; i < G_N_ELEMENTS(error_classes); i++) {
        if (g_strcmp0(error_classes[i].klass, klass) == 0)
            return error_classes[i].code;
    }
    return CV_QMP_ERROR_FAILED;
}
