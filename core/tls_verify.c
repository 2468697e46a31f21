/* tls_verify.c — certificate chain and host name verification with GnuTLS.
 *
 * libetpan 1.9.4 (GnuTLS build) accepts any certificate and offers no hook
 * into its GnuTLS session, so the check runs after the handshake and before
 * any credential is sent: the peer chain (DER) comes from
 * mailstream_get_certificate_chain() and is verified here against the system
 * trust store, or a CA file, for the configured host name.
 */
#include <string.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "tls_verify.h"
#include "store.h" /* kw_set_error */

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
