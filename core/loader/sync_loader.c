/* sync_loader.c — kw_sync_run() of the shared library and of the command.
 *
 * The IMAP, TLS and MIME half of keepwarm (libetpan, GnuTLS, GMime and the
 * twenty-odd libraries they bring) is a private module, keepwarm-sync.so,
 * loaded on the first sync. Every other process — `keepwarm overdue`, show,
 * the actions, the plugin's reads — neither loads nor initialises them: at
 * start-up that halves the work of the dynamic linker (BIND_NOW resolves
 * every symbol of every library loaded).
 *
 * The module holds its own copy of the store and model code it uses and
 * exports only kw_sync_run. It is looked up next to the object this code is
 * linked into: <dir>/keepwarm-sync.so (an uninstalled build: build/keepwarm
 * and build/keepwarm-sync.so), then <dir>/keepwarm/keepwarm-sync.so (the
 * installed $(LIBDIR)/libkeepwarm.so.0 and $(LIBDIR)/keepwarm/). Static
 * archives for tests and the plugin link the sync half directly instead
 * (libkeepwarm.a holds imap_sync.c's own kw_sync_run, not this file). */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

typedef kw_status_t (*sync_run_fn)(kw_store_t *, const kw_sync_options_t *, kw_sync_report_t *,
                                   char **);

static sync_run_fn module_run;
static char *module_error;

static gpointer load_module(gpointer unused)
{
    Dl_info info;
    char *dir = NULL;
    GString *tried = g_string_new(NULL);
    (void) unused;

    if (dladdr((void *) load_module, &info) && info.dli_fname)
        dir = g_path_get_dirname(info.dli_fname);
    for (int k = 0; dir && k < 2 && !module_run; k++) {
        char *path = k == 0 ? g_build_filename(dir, "keepwarm-sync.so", NULL)
                            : g_build_filename(dir, "keepwarm", "keepwarm-sync.so", NULL);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            module_run = (sync_run_fn) (uintptr_t) dlsym(h, "kw_sync_run");
            if (!module_run) {
                g_string_append_printf(tried, "%s%s: no kw_sync_run", tried->len ? "; " : "", path);
                dlclose(h);
            }
            /* else kept loaded for the life of the process */
        } else {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!module_run)
        module_error = g_strdup_printf("cannot load keepwarm's sync module (%s); reinstall keepwarm",
                                       tried->len ? tried->str : "no directory to look in");
    g_string_free(tried, TRUE);
    g_free(dir);
    return NULL;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                                  kw_sync_report_t *report, char **error)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, load_module, NULL);
    if (!module_run) {
        if (report)
            memset(report, 0, sizeof *report);
        kw_set_error(error, "%s", module_error);
        return KW_ERR_INTERNAL;
    }
    return module_run(store, options, report, error);
}
