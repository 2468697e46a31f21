/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_loader.c — kw_sync_run(), kw_import_ics() and kw_record_sent() of
 * the shared library and of the command.
 *
 * The IMAP, TLS and MIME half of keepwarm (libetpan, GnuTLS, GMime and the
 * twenty-odd libraries they bring) is a private module, keepwarm-sync.so,
 * loaded on the first sync. Every other process — `keepwarm overdue`, show,
 * the actions, the plugin's reads — neither loads nor initialises them: at
 * start-up that halves the work of the dynamic linker (BIND_NOW resolves
 * every symbol of every library loaded).
 *
 * The module holds its own copy of the store and model code it uses and
 * exports only those three (calendars need libical, recording a sent
 * message the header parser: both live there too). It is looked up next to
 * the object this code is linked into: <dir>/keepwarm-sync.so (an
 * uninstalled build: build/keepwarm
 * and build/keepwarm-sync.so), then <dir>/keepwarm/keepwarm-sync.so (the
 * installed $(LIBDIR)/libkeepwarm.so.0 and $(LIBDIR)/keepwarm/). Static
 * archives for tests and the plugin link the sync half directly instead
 * (libkeepwarm.a holds imap_sync.c's own kw_sync_run, ics_import.c's and
 * sync_record.c's functions, not this file). */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

typedef kw_status_t (*sync_run_fn)(kw_store_t *, const kw_sync_options_t *, kw_sync_report_t *,
                                   char **);
typedef kw_status_t (*import_ics_fn)(kw_store_t *, const char *, const kw_ics_options_t *,
                                     kw_ics_report_t *, char **);
typedef kw_status_t (*record_sent_fn)(kw_store_t *, const char *, const char *, size_t, int64_t,
                                      char **);

/* The module's entry points; all or none are set. */
static struct {
    sync_run_fn    sync_run;
    import_ics_fn  import_ics;
    record_sent_fn record_sent;
} module;
static char *module_error;

static gpointer load_module(gpointer unused)
{
    Dl_info info;
    char *dir = NULL;
    GString *tried = g_string_new(NULL);
    (void) unused;

    if (dladdr((void *) load_module, &info) && info.dli_fname)
        dir = g_path_get_dirname(info.dli_fname);
    for (int k = 0; dir && k < 2 && !module.sync_run; k++) {
        char *path = k == 0 ? g_build_filename(dir, "keepwarm-sync.so", NULL)
                            : g_build_filename(dir, "keepwarm", "keepwarm-sync.so", NULL);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            sync_run_fn run = (sync_run_fn) (uintptr_t) dlsym(h, "kw_sync_run");
            import_ics_fn ics = (import_ics_fn) (uintptr_t) dlsym(h, "kw_import_ics");
            record_sent_fn sent = (record_sent_fn) (uintptr_t) dlsym(h, "kw_record_sent");
            if (!run || !ics || !sent) {
                g_string_append_printf(tried, "%s%s: not keepwarm's sync module of this version",
                                       tried->len ? "; " : "", path);
                dlclose(h);
            } else {
                /* kept loaded for the life of the process */
                module.sync_run = run;
                module.import_ics = ics;
                module.record_sent = sent;
            }
        } else {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!module.sync_run)
        module_error = g_strdup_printf("cannot load keepwarm's sync module (%s); reinstall keepwarm",
                                       tried->len ? tried->str : "no directory to look in");
    g_string_free(tried, TRUE);
    g_free(dir);
    return NULL;
}

/* 1 when the module is there; else the error is set. */
static int module_ready(char **error)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, load_module, NULL);
    if (!module.sync_run) {
        kw_set_error(error, "%s", module_error);
        return 0;
    }
    return 1;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                                  kw_sync_report_t *report, char **error)
{
    if (!module_ready(error)) {
        if (report)
            memset(report, 0, sizeof *report);
        return KW_ERR_INTERNAL;
    }
    return module.sync_run(store, options, report, error);
}

KW_PUBLIC kw_status_t kw_import_ics(kw_store_t *store, const char *path,
                                    const kw_ics_options_t *options, kw_ics_report_t *report,
                                    char **error)
{
    if (!module_ready(error)) {
        if (report)
            memset(report, 0, sizeof *report);
        return KW_ERR_INTERNAL;
    }
    return module.import_ics(store, path, options, report, error);
}

KW_PUBLIC kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                                     size_t len, int64_t now, char **error)
{
    if (!module_ready(error))
        return KW_ERR_INTERNAL;
    return module.record_sent(store, account, headers, len, now, error);
}
