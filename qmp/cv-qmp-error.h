/* Errors of the QMP layer: one domain, the QEMU error classes mapped onto codes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_QMP_ERROR (cv_qmp_error_quark())
GQuark cv_qmp_error_quark(void);

typedef enum {
    CV_QMP_ERROR_FAILED = 0,        /* anything else */
    CV_QMP_ERROR_LINE_TOO_LONG,     /* a line above the framer's bound; it was discarded */
    CV_QMP_ERROR_MALFORMED,         /* not JSON, not an object, or not a QMP message shape */
    CV_QMP_ERROR_INVALID_REPLY,     /* a reply whose content has the wrong shape or types */
    CV_QMP_ERROR_GENERIC_ERROR,     /* QEMU class GenericError */
    CV_QMP_ERROR_COMMAND_NOT_FOUND, /* QEMU class CommandNotFound */
    CV_QMP_ERROR_DEVICE_NOT_ACTIVE, /* QEMU class DeviceNotActive */
    CV_QMP_ERROR_DEVICE_NOT_FOUND,  /* QEMU class DeviceNotFound */
    CV_QMP_ERROR_KVM_MISSING_CAP,   /* QEMU class KVMMissingCap */
    CV_QMP_ERROR_CONNECT,           /* the socket could not be reached */
    CV_QMP_ERROR_CLOSED,            /* the peer hung up (QEMU exited or crashed) */
    CV_QMP_ERROR_TIMEOUT,           /* no reply within the client's timeout */
    CV_QMP_ERROR_PROTOCOL,          /* greeting or negotiation went wrong */
    CV_QMP_ERROR_QUEUE_FULL,        /* not sent: QEMU does not read what we already sent */
} CvQmpErrorCode;

/* QEMU's error class name for a code, e.g. "GenericError"; NULL for our own codes. */
const gchar *cv_qmp_error_code_to_class(CvQmpErrorCode code);
CvQmpErrorCode cv_qmp_error_code_from_class(const gchar *klass);

G_END_DECLS
