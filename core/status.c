/* SPDX-License-Identifier: GPL-3.0-or-later */
/* status.c — status names, error messages, kw_free, kw_strv_free, kw_secret_free. */
#include <stdarg.h>
#include <string.h>
#include <glib.h>
#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

static const char *const status_names[KW_STATUS_LAST] = {
    [KW_OK] = "ok",
    [KW_ERR_USAGE] = "usage",
    [KW_ERR_NOMEM] = "nomem",
    [KW_ERR_AUTH] = "auth",
    [KW_ERR_TLS] = "tls",
    [KW_ERR_INSECURE] = "insecure",
    [KW_ERR_NETWORK] = "network",
    [KW_ERR_SERVER] = "server",
    [KW_ERR_STORE] = "store",
    [KW_ERR_STORE_CORRUPT] = "store-corrupt",
    [KW_ERR_STORE_TOO_NEW] = "store-too-new",
    [KW_ERR_BUSY] = "busy",
    [KW_ERR_NOT_FOUND] = "not-found",
    [KW_ERR_CANCELLED] = "cancelled",
    [KW_ERR_PARTIAL] = "partial",
    [KW_ERR_INTERNAL] = "internal",
    [KW_ERR_AMBIGUOUS] = "ambiguous",
};

KW_PUBLIC const char *kw_status_to_string(kw_status_t status)
{
    if ((int)status < 0 || status >= KW_STATUS_LAST || !status_names[status])
        return "unknown";
    return status_names[status];
}

KW_PUBLIC kw_status_t kw_status_from_string(const char *name, kw_status_t *status_out)
{
    for (int i = 0; name && i < KW_STATUS_LAST; i++) {
        if (status_names[i] && strcmp(name, status_names[i]) == 0) {
            if (status_out)
                *status_out = (kw_status_t)i;
            return KW_OK;
        }
    }
    return KW_ERR_USAGE;
}

KW_PUBLIC void kw_free(void *ptr)
{
    g_free(ptr);
}

KW_PUBLIC void kw_strv_free(char **strv)
{
    g_strfreev(strv);
}

KW_PUBLIC void kw_secret_free(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret)); /* a call the compiler keeps */
    g_free(secret);
}

void kw_set_error(char **error, const char *fmt, ...)
{
    va_list ap;

    if (!error)
        return;
    g_free(*error);
    va_start(ap, fmt);
    *error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}
