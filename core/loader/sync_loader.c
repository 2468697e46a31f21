/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_loader.c — kw_sync_run(), kw_record_sent() and kw_import_ics() of
 * the shared library and of the command.
 *
 * The IMAP, TLS and MIME half of keepwarm (libetpan, GnuTLS, GMime and the
 * twenty-odd libraries they bring) is a private module, keepwarm-sync.so,
 * loaded on the first sync; calendars (libical, which brings ICU and
 * libstdc++) are another, keepwarm-ics.so, loaded by the first import. Every
 * other process — `keepwarm overdue`, show, the actions, the plugin's reads
 * — neither loads nor initialises them, and a sync does not load ICU: at
 * start-up that halves the work of the dynamic linker (BIND_NOW resolves
 * every symbol of every library loaded).
 *
 * Each module holds its own copy of the store and model code it uses and
 * exports only its entry points (recording a sent message needs the header
 * parser, so it lives in the sync module). A module is looked up next to
 * the object this code is linked into: <dir>/NAME (an uninstalled build:
 * build/keepwarm and build/keepwarm-sync.so), then <dir>/keepwarm/NAME (the
 * installed $(LIBDIR)/libkeepwarm.so.0 and $(LIBDIR)/keepwarm/). Static
 * archives for tests and the plugin link both halves directly instead
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

/* A private module: its file name, its entry points (all or none are set
 * after the first use) and why it could not be loaded. */
typedef struct {
    const char  *file;
    const char  *names[2];
    void        *fn[2];
    char        *error;
    GOnce        once;
} module_t;

static module_t sync_module = { "keepwarm-sync.so", { "kw_sync_run", "kw_record_sent" }, { NULL, NULL },
                                NULL, G_ONCE_INIT };
static module_t ics_module = { "keepwarm-ics.so", { "kw_import_ics", NULL }, { NULL, NULL }, NULL,
                               G_ONCE_INIT };

static gpointer load_module(gpointer data)
{
    module_t *mod = data;
    Dl_info info;
    char *dir = NULL;
    GString *tried = g_string_new(NULL);

    if (dladdr((void *) load_module, &info) && info.dli_fname)
        dir = g_path_get_dirname(info.dli_fname);
    for (int k = 0; dir && k < 2 && !mod->fn[0]; k++) {
        char *path = k == 0 ? g_build_filename(dir, mod->file, NULL)
                            : g_build_filename(dir, "keepwarm", mod->file, NULL);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            void *fn[2] = { NULL, NULL };
            int all = 1;
            for (int i = 0; i < 2 && mod->names[i]; i++)
                all = (fn[i] = dlsym(h, mod->names[i])) != NULL && all;
            if (!all) {
                g_string_append_printf(tried, "%s%s: not keepwarm's module of this version",
                                       tried->len ? "; " : "", path);
                dlclose(h);
            } else {
                /* kept loaded for the life of the process */
                memcpy(mod->fn, fn, sizeof fn);
            }
        } else {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!mod->fn[0])
        mod->error = g_strdup_printf("cannot load keepwarm's module %s (%s); reinstall keepwarm", mod->file,
                                     tried->len ? tried->str : "no directory to look in");
    g_string_free(tried, TRUE);
    g_free(dir);
    return NULL;
}

/* 1 when the module is there; else the error is set. */
static int module_ready(module_t *mod, char **error)
{
    g_once(&mod->once, load_module, mod);
    if (!mod->fn[0]) {
        kw_set_error(error, "%s", mod->error);
        return 0;
    }
    return 1;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                                  kw_sync_report_t *report, char **error)
{
    if (!module_ready(&sync_module, error)) {
        if (report)
            memset(report, 0, sizeof *report);
        return KW_ERR_INTERNAL;
    }
    return ((sync_run_fn) (uintptr_t) sync_module.fn[0])(store, options, report, error);
}

KW_PUBLIC kw_status_t kw_import_ics(kw_store_t *store, const char *path,
                                    const kw_ics_options_t *options, kw_ics_report_t *report,
                                    char **error)
{
    if (!module_ready(&ics_module, error)) {
        if (report)
            memset(report, 0, sizeof *report);
        return KW_ERR_INTERNAL;
    }
    return ((import_ics_fn) (uintptr_t) ics_module.fn[0])(store, path, options, report, error);
}

KW_PUBLIC kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                                     size_t len, int64_t now, char **error)
{
    if (!module_ready(&sync_module, error))
        return KW_ERR_INTERNAL;
    return ((record_sent_fn) (uintptr_t) sync_module.fn[1])(store, account, headers, len, now, error);
}
