/* status.c — status names, error messages, kw_free, kw_strv_free. */
#include <stdarg.h>
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
};

KW_PUBLIC const char *kw_status_to_string(kw_status_t status)
{
    if ((int)status < 0 || status >= KW_STATUS_LAST || !status_names[status])
        return "unknown";
    return status_names[status];
}

KW_PUBLIC void kw_free(void *ptr)
{
    g_free(ptr);
}

KW_PUBLIC void kw_strv_free(char **strv)
{
    g_strfreev(strv);
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
