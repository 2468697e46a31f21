/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tls_verify.c — certificate chain and host name verification with GnuTLS.
 *
 * libetpan 1.9.4 (GnuTLS build) accepts any certificate and offers no hook
 * into its GnuTLS session, so the check runs after the handshake and before
 * any credential is sent: the peer chain (DER) comes from
 * mailstream_get_certificate_chain() and is verified here against the system
 * trust store, or a CA file, for the configured host name.
 */
#define _GNU_SOURCE /* memfd_create, O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "tls_verify.h"
#include "store.h" /* kw_set_error */

/* ---- the TLS floor ------------------------------------------------------- */

/* GnuTLS's built-in system configuration file on Debian. */
#define SYSTEM_PRIORITY_FILE "/etc/gnutls/config"
/* Appended to the system configuration (several [overrides] sections are
 * read as one). */
static const char floor_overrides[] =
    "\n# added by keepwarm: libetpan forces the priority string NORMAL, which\n"
    "# still allows TLS 1.0 and 1.1\n"
    "[overrides]\n"
    "disabled-version = tls1.0\n"
    "disabled-version = tls1.1\n";

typedef struct {
    kw_status_t status;
    char       *message;
} tls_init_result_t;

/* The system configuration to keep (transfer full, "" when there is none).
 * Only a regular file is read: the variable may name anything. */
static char *system_config(void)
{
    const char *path = g_getenv("GNUTLS_SYSTEM_PRIORITY_FILE");
    char *text = NULL;
    struct stat sb;
    gsize len;

    if (!path || !*path)
        path = SYSTEM_PRIORITY_FILE;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > 1024 * 1024 ||
        !g_file_get_contents(path, &text, &len, NULL))
        return g_strdup("");
    return text;
}

/* An anonymous file holding `text`, open for the life of the process. */
static int anonymous_file(const char *text, size_t len)
{
    int fd = memfd_create("keepwarm-gnutls-config", MFD_CLOEXEC);
    size_t off = 0;

    if (fd < 0)
        fd = open(g_get_tmp_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    return fd;
}

/* 1 when GnuTLS's "NORMAL" (what libetpan asks for) offers no version
 * below TLS 1.2. */
static int floor_holds(void)
{
    gnutls_priority_t prio;
    const unsigned int *list;
    int n, ok = 1;

    if (gnutls_priority_init(&prio, "NORMAL", NULL) < 0)
        return 0;
    n = gnutls_priority_protocol_list(prio, &list);
    for (int i = 0; i < n; i++)
        if (list[i] == GNUTLS_SSL3 || list[i] == GNUTLS_TLS1_0 || list[i] == GNUTLS_TLS1_1)
            ok = 0;
    gnutls_priority_deinit(prio);
    return ok && n > 0;
}

static gpointer tls_init_once(gpointer data)
{
    tls_init_result_t *res = data;
    char *config = system_config();
    char *full = g_strconcat(config, floor_overrides, NULL);
    int fd = anonymous_file(full, strlen(full));
    int err = errno, rc;

    g_free(config);
    g_free(full);
    if (fd < 0) {
        res->status = KW_ERR_TLS;
        res->message = g_strdup_printf("cannot prepare the TLS configuration (%s); nothing was sent",
                                       g_strerror(err));
        return res;
    }
    /* The descriptor stays open: GnuTLS may read the file again later. */
    {
        char *path = g_strdup_printf("/proc/self/fd/%d", fd);
        g_setenv("GNUTLS_SYSTEM_PRIORITY_FILE", path, TRUE);
        g_free(path);
    }
    rc = gnutls_global_init();
    if (rc < 0) {
        res->status = KW_ERR_TLS;
        res->message = g_strdup_printf("cannot initialise GnuTLS: %s; nothing was sent", gnutls_strerror(rc));
    } else if (!floor_holds()) {
        res->status = KW_ERR_TLS;
        res->message = g_strdup("cannot refuse TLS 1.0 and 1.1 in this process (GnuTLS was initialised "
                                "before keepwarm could set its minimum version, or the system's GnuTLS "
                                "configuration does not accept disabled-version); nothing was sent");
    } else {
        res->status = KW_OK;
    }
    return res;
}

kw_status_t kw_tls_init(char **error)
{
    static GOnce once = G_ONCE_INIT;
    static tls_init_result_t result;
    tls_init_result_t *res = g_once(&once, tls_init_once, &result);

    if (res->status != KW_OK)
        kw_set_error(error, "%s", res->message);
    return res->status;
}

/* ---- certificate verification ------------------------------------------------ */

kw_status_t kw_tls_verify_stream(mailstream *stream, const char *host, const char *ca_file,
                                 char **error)
{
    carray *chain = NULL;
    gnutls_x509_crt_t *certs = NULL;
    gnutls_x509_trust_list_t tlist = NULL;
    unsigned ncerts = 0, status = 0;
    kw_status_t st = KW_ERR_TLS;
    gnutls_typed_vdata_st vdata[2];
    unsigned nvdata = 0;
    int rc;

    chain = mailstream_get_certificate_chain(stream);
    if (!chain || carray_count(chain) == 0) {
        kw_set_error(error, "%s sent no certificate; not sending the password", host);
        goto done;
    }
    certs = g_new0(gnutls_x509_crt_t, carray_count(chain));
    for (unsigned i = 0; i < carray_count(chain); i++) {
        MMAPString *der = carray_get(chain, i);
        gnutls_datum_t datum = { (unsigned char *)der->str, (unsigned)der->len };
        if (gnutls_x509_crt_init(&certs[ncerts]) < 0) {
            st = KW_ERR_NOMEM;
            goto done;
        }
        ncerts++;
        if (gnutls_x509_crt_import(certs[ncerts - 1], &datum, GNUTLS_X509_FMT_DER) < 0) {
            kw_set_error(error, "%s sent a certificate that cannot be read", host);
            goto done;
        }
    }

    if (gnutls_x509_trust_list_init(&tlist, 0) < 0) {
        st = KW_ERR_NOMEM;
        goto done;
    }
    if (ca_file) {
        rc = gnutls_x509_trust_list_add_trust_file(tlist, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
        if (rc <= 0) {
            kw_set_error(error, "no usable CA certificate in %s", ca_file);
            st = KW_ERR_USAGE;
            goto done;
        }
    } else {
        rc = gnutls_x509_trust_list_add_system_trust(tlist, 0, 0);
        if (rc <= 0) {
            kw_set_error(error, "the system trust store is empty or unreadable "
                         "(install ca-certificates, or give --ca-file)");
            goto done;
        }
    }

    /* IP literals are checked against the IP SANs (GnuTLS does that when the
     * host string is an address); names against the DNS SANs. */
    vdata[nvdata].type = GNUTLS_DT_DNS_HOSTNAME;
    vdata[nvdata].data = (unsigned char *)host;
    vdata[nvdata].size = 0;
    nvdata++;
    vdata[nvdata].type = GNUTLS_DT_KEY_PURPOSE_OID;
    vdata[nvdata].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
    vdata[nvdata].size = 0;
    nvdata++;

    rc = gnutls_x509_trust_list_verify_crt2(tlist, certs, ncerts, vdata, nvdata, 0, &status, NULL);
    if (rc < 0) {
        kw_set_error(error, "cannot verify the certificate of %s: %s", host, gnutls_strerror(rc));
        goto done;
    }
    if (status != 0) {
        gnutls_datum_t out = { NULL, 0 };
        const char *hint = ca_file ? "" : " (for a private CA give --ca-file)";
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
            kw_set_error(error, "certificate of %s rejected: %s%s; the password was not sent",
                         host, out.data, hint);
            gnutls_free(out.data);
        } else {
            kw_set_error(error, "certificate of %s rejected%s; the password was not sent",
                         host, hint);
        }
        goto done;
    }
    st = KW_OK;
done:
    if (tlist)
        gnutls_x509_trust_list_deinit(tlist, 1);
    for (unsigned i = 0; i < ncerts; i++)
        gnutls_x509_crt_deinit(certs[i]);
    g_free(certs);
    if (chain)
        mailstream_certificate_chain_free(chain);
    return st;
}
