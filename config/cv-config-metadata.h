/* What virt-converge reads from a libvirt domain XML: our <metadata> element (a policy name
 * and optional per-domain overrides, in our own namespace) and whether the guest has VFIO
 * host devices. Parsed with libxml2 without network access, DTDs or entity expansion. */
#pragma once

#include <glib.h>

#include "cv-policy.h"

G_BEGIN_DECLS

#define CV_CONFIG_METADATA_NS "http://virt-converge.org/xmlns/virt-converge/1.0"
/* The prefix to pass as `key` to virDomainSetMetadata(). Readers match on the namespace, never
 * on the prefix. */
#define CV_CONFIG_METADATA_PREFIX "cv"
#define CV_CONFIG_METADATA_ELEMENT "policy"

/* Domain XML larger than this is refused before parsing. */
#define CV_CONFIG_METADATA_MAX_XML (8 * 1024 * 1024)

typedef struct _CvConfigMetadata CvConfigMetadata;

/* @xml is either a whole domain (virDomainGetXMLDesc) or our element alone, as
 * virDomainGetMetadata(VIR_DOMAIN_METADATA_ELEMENT, CV_CONFIG_METADATA_NS) returns it. @len
 * may be -1 for a NUL-terminated string. A domain without our element is not an error.
 * Errors: CV_CONFIG_ERROR_METADATA (malformed XML, a DOCTYPE, an unknown element or
 * attribute in our namespace, a bad policy name), CV_CONFIG_ERROR_BAD_UNIT and
 * CV_CONFIG_ERROR_BAD_VALUE (an override's value); messages start with "metadata line N: ". */
CvConfigMetadata *cv_config_metadata_parse(const gchar *xml, gssize len, GError **error);
void cv_config_metadata_free(CvConfigMetadata *metadata);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvConfigMetadata, cv_config_metadata_free)

/* <name> of the domain; NULL when only our element was parsed. */
const gchar *cv_config_metadata_get_domain_name(const CvConfigMetadata *metadata);
/* Our element was there (with or without a policy name). */
gboolean cv_config_metadata_has_element(const CvConfigMetadata *metadata);
/* The name="..." of our element; NULL when absent. */
const gchar *cv_config_metadata_get_policy_name(const CvConfigMetadata *metadata);

/* PCI host devices given to VFIO (<hostdev mode='subsystem' type='pci'> with driver vfio or
 * no driver named, <interface type='hostdev'>) and mediated devices (<hostdev type='mdev'>). */
guint cv_config_metadata_get_n_vfio_devices(const CvConfigMetadata *metadata);
gboolean cv_config_metadata_has_vfio(const CvConfigMetadata *metadata);

/* Per-domain overrides, e.g. <cv:max-downtime>3s</cv:max-downtime>: apply them on top of
 * @policy. Returns how many were applied. */
guint cv_config_metadata_apply_overrides(const CvConfigMetadata *metadata, CvPolicy *policy);
/* "max-downtime=3s, margin=20%"; NULL when there are none. */
gchar *cv_config_metadata_describe_overrides(const CvConfigMetadata *metadata);

/* The element for `virt-converge policy set DOM NAME`: "<policy name=\"NAME\"/>", without a
 * namespace, because virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
 * CV_CONFIG_METADATA_PREFIX, CV_CONFIG_METADATA_NS, flags) puts every element of it into the
 * namespace itself (and refuses a fragment that already declares that prefix). Errors:
 * CV_CONFIG_ERROR_BAD_VALUE for an invalid policy name. */
gchar *cv_config_metadata_build(const gchar *policy_name, GError **error);

G_END_DECLS
