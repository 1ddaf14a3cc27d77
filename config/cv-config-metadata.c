#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "cv-config-error.h"
#include "cv-config-metadata.h"
#include "cv-config-policy.h"

/* libxml2 ships no cleanup functions for g_autoptr (style rule 9). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

static void
xml_char_free(xmlChar *s)
{
    xmlFree(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlChar, xml_char_free)

/* A PCI device that QEMU drives through VFIO: legacy KVM or Xen assignment is not VFIO. The
 * driver is vfio when none is named (libvirt's default since KVM assignment was removed). */
#define VFIO_DEVICES_XPATH                                                                         \
    "count(/domain/devices/hostdev[(not(@mode) or @mode='subsystem') and "                         \
    "((@type='pci' and (not(driver/@name) or driver/@name='vfio')) or @type='mdev')]"              \
    " | /domain/devices/interface[@type='hostdev' and "                                            \
    "(not(driver/@name) or driver/@name='vfio')])"

struct _CvConfigMetadata {
    gchar *domain_name;
    gboolean has_element;
    gchar *policy_name;
    guint n_vfio;
    gboolean has_key[CV_CONFIG_POLICY_N_KEYS];
    CvPolicy overrides; /* only the fields of keys in has_key mean anything */
};

typedef struct {
    gboolean saw_doctype;
    gint line;
} ParseGuard;

void
cv_config_metadata_free(CvConfigMetadata *metadata)
{
    if (metadata == NULL)
        return;
    g_free(metadata->domain_name);
    g_free(metadata->policy_name);
    g_free(metadata);
}

/* Called by the parser at <!DOCTYPE, before any entity of an internal subset is declared:
 * stopping here means no entity is ever defined, so none can be expanded or fetched. libvirt
 * never writes a DOCTYPE into domain XML. */
static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                   const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    ParseGuard *guard = ctxt->_private;

    guard->saw_doctype = TRUE;
    guard->line = ctxt->input != NULL ? ctxt->input->line : 0;
    xmlStopParser(ctxt);
}

static gboolean
node_is(const xmlNode *node, const gchar *ns, const gchar *name)
{
    if (node->type != XML_ELEMENT_NODE || g_strcmp0((const gchar *)node->name, name) != 0)
        return FALSE;
    if (ns == NULL)
        return node->ns == NULL || node->ns->href == NULL;
    return node->ns != NULL && g_strcmp0((const gchar *)node->ns->href, ns) == 0;
}

static gboolean
node_in_our_ns(const xmlNode *node)
{
    return node->ns != NULL && g_strcmp0((const gchar *)node->ns->href, CV_CONFIG_METADATA_NS) == 0;
}

static gboolean
text_is_blank(const xmlChar *text)
{
    for (const xmlChar *p = text; p != NULL && *p != '\0'; p++) {
        if (!g_ascii_isspace(*p))
            return FALSE;
    }
    return TRUE;
}

/* The text of a leaf element; elements inside it are refused. */
static gchar *
leaf_text(const xmlNode *node, GError **error)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (const xmlNode *c = node->children; c != NULL; c = c->next) {
        switch (c->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            g_string_append(s, (const gchar *)c->content);
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_ELEMENT_NODE:
        case XML_ATTRIBUTE_NODE:
        case XML_ENTITY_REF_NODE:
        case XML_ENTITY_NODE:
        case XML_DOCUMENT_NODE:
        case XML_DOCUMENT_TYPE_NODE:
        case XML_DOCUMENT_FRAG_NODE:
        case XML_NOTATION_NODE:
        case XML_HTML_DOCUMENT_NODE:
        case XML_DTD_NODE:
        case XML_ELEMENT_DECL:
        case XML_ATTRIBUTE_DECL:
        case XML_ENTITY_DECL:
        case XML_NAMESPACE_DECL:
        case XML_XINCLUDE_START:
        case XML_XINCLUDE_END:
#ifdef LIBXML_DOCB_ENABLED
        case XML_DOCB_DOCUMENT_NODE:
#endif
        default:
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: <%s> must hold only text", xmlGetLineNo(node),
                        (const gchar *)node->name);
            return NULL;
        }
    }
    g_strstrip(s->str);
    return g_strdup(s->str);
}

static gboolean
parse_our_element(CvConfigMetadata *md, const xmlNode *element, GError **error)
{
    md->has_element = TRUE;
    if (!node_is(element, CV_CONFIG_METADATA_NS, CV_CONFIG_METADATA_ELEMENT)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                    "metadata line %ld: unknown element <%s> in namespace %s (expected <%s>)",
                    xmlGetLineNo(element), (const gchar *)element->name, CV_CONFIG_METADATA_NS,
                    CV_CONFIG_METADATA_ELEMENT);
        return FALSE;
    }

    for (const xmlAttr *a = element->properties; a != NULL; a = a->next) {
        g_autoptr(xmlChar) value = NULL;

        if (a->ns != NULL || g_strcmp0((const gchar *)a->name, "name") != 0) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: unknown attribute '%s' on <%s>", xmlGetLineNo(element),
                        (const gchar *)a->name, CV_CONFIG_METADATA_ELEMENT);
            return FALSE;
        }
        value = xmlNodeListGetString(element->doc, a->children, 1);
        if (!cv_config_policy_name_is_valid((const gchar *)value)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: invalid policy name '%s' (1 to %d characters of "
                        "A-Z a-z 0-9 _ . -)",
                        xmlGetLineNo(element), value != NULL ? (const gchar *)value : "",
                        CV_POLICY_NAME_MAX - 1);
            return FALSE;
        }
        md->policy_name = g_strdup((const gchar *)value);
    }

    for (const xmlNode *c = element->children; c != NULL; c = c->next) {
        CvConfigPolicyKey key = CV_CONFIG_POLICY_KEY_MAX_DOWNTIME;
        g_autofree gchar *text = NULL;

        if (c->type == XML_TEXT_NODE && text_is_blank(c->content))
            continue;
        if (c->type == XML_COMMENT_NODE)
            continue;
        if (c->type != XML_ELEMENT_NODE) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: unexpected text inside <%s>", xmlGetLineNo(c),
                        CV_CONFIG_METADATA_ELEMENT);
            return FALSE;
        }
        if (!node_in_our_ns(c) || !cv_config_policy_key_from_string((const gchar *)c->name, &key)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: unknown element <%s> inside <%s> (expected a "
                        "policy key in namespace %s)",
                        xmlGetLineNo(c), (const gchar *)c->name, CV_CONFIG_METADATA_ELEMENT,
                        CV_CONFIG_METADATA_NS);
            return FALSE;
        }
        if (md->has_key[key]) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                        "metadata line %ld: <%s> given twice", xmlGetLineNo(c),
                        (const gchar *)c->name);
            return FALSE;
        }
        text = leaf_text(c, error);
        if (text == NULL)
            return FALSE;
        if (!cv_config_policy_parse_key(&md->overrides, key, text, error)) {
            g_prefix_error(error, "metadata line %ld: ", xmlGetLineNo(c));
            return FALSE;
        }
        md->has_key[key] = TRUE;
    }
    return TRUE;
}

static gboolean
parse_domain(CvConfigMetadata *md, xmlDoc *doc, const xmlNode *root, GError **error)
{
    g_autoptr(xmlXPathContext) xpath = NULL;
    g_autoptr(xmlXPathObject) count = NULL;

    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (node_is(c, NULL, "name") && md->domain_name == NULL) {
            g_autoptr(xmlChar) name = xmlNodeGetContent(c);
            md->domain_name = g_strdup((const gchar *)name);
        } else if (node_is(c, NULL, "metadata")) {
            for (const xmlNode *m = c->children; m != NULL; m = m->next) {
                if (m->type != XML_ELEMENT_NODE || !node_in_our_ns(m))
                    continue;
                if (md->has_element) {
                    g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                                "metadata line %ld: a second element in namespace %s",
                                xmlGetLineNo(m), CV_CONFIG_METADATA_NS);
                    return FALSE;
                }
                if (!parse_our_element(md, m, error))
                    return FALSE;
            }
        }
    }

    xpath = xmlXPathNewContext(doc);
    if (xpath != NULL)
        count = xmlXPathEvalExpression((const xmlChar *)VFIO_DEVICES_XPATH, xpath);
    if (count == NULL || count->type != XPATH_NUMBER) {
        g_set_error_literal(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                            "could not search the domain XML for VFIO devices");
        return FALSE;
    }
    md->n_vfio = (guint)count->floatval;
    return TRUE;
}

CvConfigMetadata *
cv_config_metadata_parse(const gchar *xml, gssize len, GError **error)
{
    g_autoptr(CvConfigMetadata) md = g_new0(CvConfigMetadata, 1);
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    ParseGuard guard = {FALSE, 0};
    const xmlNode *root;
    gsize size;

    g_return_val_if_fail(xml != NULL, NULL);
    size = len < 0 ? strlen(xml) : (gsize)len;
    if (size > CV_CONFIG_METADATA_MAX_XML) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                    "domain XML of %" G_GSIZE_FORMAT " bytes is larger than the %d allowed", size,
                    CV_CONFIG_METADATA_MAX_XML);
        return NULL;
    }

    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL || ctxt->sax == NULL) {
        g_set_error_literal(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                            "out of memory creating an XML parser");
        return NULL;
    }
    ctxt->_private = &guard;
    ctxt->sax->internalSubset = on_internal_subset;
    /* No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/XINCLUDE, no
     * network, and libxml2's own diagnostics stay off stderr: errors come back as GError. */
    doc = xmlCtxtReadMemory(ctxt, xml, (int)size, "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (guard.saw_doctype) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                    "metadata line %d: a DOCTYPE is not accepted in domain XML (entities are "
                    "never expanded)",
                    guard.line);
        return NULL;
    }
    if (doc == NULL || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        /* libxml2 quotes the input in its messages, invalid UTF-8 and control characters
         * included; the message goes to the journal and to --json output (found by
         * fuzz-metadata) */
        g_autofree gchar *msg =
            g_utf8_make_valid(e != NULL && e->message != NULL ? e->message : "not well-formed", -1);

        g_strchomp(msg);
        for (gchar *p = msg; *p != '\0'; p++) {
            if ((guchar)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        }
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                    "metadata line %d: malformed XML: %s", e != NULL ? e->line : 0, msg);
        return NULL;
    }

    root = xmlDocGetRootElement(doc);
    if (root == NULL) {
        g_set_error_literal(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                            "metadata line 1: empty XML document");
        return NULL;
    }
    if (node_is(root, NULL, "domain")) {
        if (!parse_domain(md, doc, root, error))
            return NULL;
    } else if (node_in_our_ns(root)) {
        if (!parse_our_element(md, root, error))
            return NULL;
    } else {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA,
                    "metadata line %ld: expected <domain> or <%s> in namespace %s, found <%s>",
                    xmlGetLineNo(root), CV_CONFIG_METADATA_ELEMENT, CV_CONFIG_METADATA_NS,
                    (const gchar *)root->name);
        return NULL;
    }
    return g_steal_pointer(&md);
}

const gchar *
cv_config_metadata_get_domain_name(const CvConfigMetadata *metadata)
{
    g_return_val_if_fail(metadata != NULL, NULL);
    return metadata->domain_name;
}

gboolean
cv_config_metadata_has_element(const CvConfigMetadata *metadata)
{
    g_return_val_if_fail(metadata != NULL, FALSE);
    return metadata->has_element;
}

const gchar *
cv_config_metadata_get_policy_name(const CvConfigMetadata *metadata)
{
    g_return_val_if_fail(metadata != NULL, NULL);
    return metadata->policy_name;
}

guint
cv_config_metadata_get_n_vfio_devices(const CvConfigMetadata *metadata)
{
    g_return_val_if_fail(metadata != NULL, 0);
    return metadata->n_vfio;
}

gboolean
cv_config_metadata_has_vfio(const CvConfigMetadata *metadata)
{
    g_return_val_if_fail(metadata != NULL, FALSE);
    return metadata->n_vfio > 0;
}

guint
cv_config_metadata_apply_overrides(const CvConfigMetadata *metadata, CvPolicy *policy)
{
    guint n = 0;

    g_return_val_if_fail(metadata != NULL, 0);
    g_return_val_if_fail(policy != NULL, 0);
    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        if (!metadata->has_key[i])
            continue;
        cv_config_policy_copy_key(policy, &metadata->overrides, (CvConfigPolicyKey)i);
        n++;
    }
    return n;
}

gchar *
cv_config_metadata_describe_overrides(const CvConfigMetadata *metadata)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_return_val_if_fail(metadata != NULL, NULL);
    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        g_autofree gchar *v = NULL;

        if (!metadata->has_key[i])
            continue;
        v = cv_config_policy_format_key(&metadata->overrides, (CvConfigPolicyKey)i);
        g_string_append_printf(s, "%s%s=%s", s->len > 0 ? ", " : "",
                               cv_config_policy_key_to_string((CvConfigPolicyKey)i), v);
    }
    if (s->len == 0)
        return NULL;
    return g_string_free(g_steal_pointer(&s), FALSE);
}

gchar *
cv_config_metadata_build(const gchar *policy_name, GError **error)
{
    /* A valid name needs no escaping: only [A-Za-z0-9_.-]. */
    if (!cv_config_policy_name_is_valid(policy_name)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "invalid policy name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -)",
                    policy_name != NULL ? policy_name : "", CV_POLICY_NAME_MAX - 1);
        return NULL;
    }
    return g_strdup_printf("<%s name=\"%s\"/>", CV_CONFIG_METADATA_ELEMENT, policy_name);
}
