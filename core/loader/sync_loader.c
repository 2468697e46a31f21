/* sync_loader.c — the network half of the shared library and the command:
 * kw_sync_run(), kw_import_ics(), kw_record_sent() and the team functions
 * that speak to a server.
 *
 * The network half of keepwarm — IMAP, TLS and MIME (libetpan, GnuTLS,
 * GMime and the twenty-odd libraries they bring), calendars (libical),
 * recording a sent message (the header parser) and the team's PostgreSQL
 * server (libpq and the OpenSSL it brings) — is a private module,
 * keepwarm-sync.so, loaded on the first call that needs it. Every other
 * process — `keepwarm overdue`, show, the actions, `team status` and `team
 * list`, the plugin's reads — neither loads nor initialises them: at start-up
 * that halves the work of the dynamic linker (BIND_NOW resolves every symbol
 * of every library loaded). A team push and pull after a sync find the module
 * already loaded.
 *
 * The module holds its own copy of the store and model code it uses and
 * exports only the functions listed below (core/keepwarm-sync.sym). It is
 * looked up next to the object this code is linked into: <dir>/keepwarm-sync.so
 * (an uninstalled build: build/keepwarm and build/keepwarm-sync.so), then
 * <dir>/keepwarm/keepwarm-sync.so (the installed $(LIBDIR)/libkeepwarm.so.0
 * and $(LIBDIR)/keepwarm/). Static archives for tests and the plugin link the
 * network half directly instead (libkeepwarm.a holds imap_sync.c's own
 * kw_sync_run, ics_import.c's and sync_record.c's functions and
 * team_sync.c's own kw_team_push..., not this file). */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

/* The module's entry points: one pointer each, resolved together. */
static struct {
    kw_status_t (*sync_run)(kw_store_t *, const kw_sync_options_t *, kw_sync_report_t *, char **);
    kw_status_t (*import_ics)(kw_store_t *, const char *, const kw_ics_options_t *, kw_ics_report_t *,
                              char **);
    kw_status_t (*record_sent)(kw_store_t *, const char *, const char *, size_t, int64_t, char **);
    kw_status_t (*team_init)(const kw_team_server_t *, int *, char **);
    kw_status_t (*team_add_member)(const kw_team_server_t *, const char *, const char *,
                                   const char *, char **);
    kw_status_t (*team_remove_member)(const kw_team_server_t *, const char *, char **, char **);
    kw_status_t (*team_push)(kw_store_t *, const kw_team_server_t *, kw_team_push_report_t *,
                             char **);
    kw_status_t (*team_pull)(kw_store_t *, const kw_team_server_t *, kw_team_pull_report_t *,
                             char **);
    kw_status_t (*team_sync)(kw_store_t *, const kw_team_server_t *, int, int64_t,
                             kw_team_push_report_t *, kw_team_pull_report_t *, char **);
} module;

static const struct {
    const char *name;
    size_t      offset;
} entry_points[] = {
    { "kw_sync_run", G_STRUCT_OFFSET(__typeof__(module), sync_run) },
    { "kw_import_ics", G_STRUCT_OFFSET(__typeof__(module), import_ics) },
    { "kw_record_sent", G_STRUCT_OFFSET(__typeof__(module), record_sent) },
    { "kw_team_init", G_STRUCT_OFFSET(__typeof__(module), team_init) },
    { "kw_team_add_member", G_STRUCT_OFFSET(__typeof__(module), team_add_member) },
    { "kw_team_remove_member", G_STRUCT_OFFSET(__typeof__(module), team_remove_member) },
    { "kw_team_push", G_STRUCT_OFFSET(__typeof__(module), team_push) },
    { "kw_team_pull", G_STRUCT_OFFSET(__typeof__(module), team_pull) },
    { "kw_team_sync", G_STRUCT_OFFSET(__typeof__(module), team_sync) },
};

static char *module_error;

/* Resolve every entry point of an opened module; 0 and a message when one
 * is missing (a module from another keepwarm). */
static int resolve_all(void *h, const char *path, GString *tried)
{
    for (size_t i = 0; i < G_N_ELEMENTS(entry_points); i++) {
        void *sym = dlsym(h, entry_points[i].name);
        if (!sym) {
            g_string_append_printf(tried, "%s%s: no %s", tried->len ? "; " : "", path,
                                   entry_points[i].name);
            memset(&module, 0, sizeof module);
            return 0;
        }
        memcpy((char *) &module + entry_points[i].offset, &sym, sizeof sym);
    }
    return 1;
}

static gpointer load_module(gpointer unused)
{
    Dl_info info;
    char *dir = NULL;
    GString *tried = g_string_new(NULL);
    int loaded = 0;
    (void) unused;

    if (dladdr((void *) load_module, &info) && info.dli_fname)
        dir = g_path_get_dirname(info.dli_fname);
    for (int k = 0; dir && k < 2 && !loaded; k++) {
        char *path = k == 0 ? g_build_filename(dir, "keepwarm-sync.so", NULL)
                            : g_build_filename(dir, "keepwarm", "keepwarm-sync.so", NULL);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            loaded = resolve_all(h, path, tried);
            if (!loaded)
                dlclose(h);
            /* else kept loaded for the life of the process */
        } else {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!loaded)
        module_error = g_strdup_printf("cannot load keepwarm's network module (%s); reinstall keepwarm",
                                       tried->len ? tried->str : "no directory to look in");
    g_string_free(tried, TRUE);
    g_free(dir);
    return NULL;
}

/* Load the module once per process; KW_OK, or KW_ERR_INTERNAL with the
 * reason in *error. */
static kw_status_t need_module(char **error)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, load_module, NULL);
    if (module.sync_run)
        return KW_OK;
    kw_set_error(error, "%s", module_error);
    return KW_ERR_INTERNAL;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                                  kw_sync_report_t *report, char **error)
{
    kw_status_t s = need_module(error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return module.sync_run(store, options, report, error);
}

KW_PUBLIC kw_status_t kw_import_ics(kw_store_t *store, const char *path,
                                    const kw_ics_options_t *options, kw_ics_report_t *report,
                                    char **error)
{
    kw_status_t s = need_module(error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return module.import_ics(store, path, options, report, error);
}

KW_PUBLIC kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                                     size_t len, int64_t now, char **error)
{
    kw_status_t s = need_module(error);
    return s != KW_OK ? s : module.record_sent(store, account, headers, len, now, error);
}

KW_PUBLIC kw_status_t kw_team_init(const kw_team_server_t *server, int *version_out, char **error)
{
    kw_status_t s = need_module(error);
    return s != KW_OK ? s : module.team_init(server, version_out, error);
}

KW_PUBLIC kw_status_t kw_team_add_member(const kw_team_server_t *server, const char *member,
                                         const char *display_name, const char *member_password,
                                         char **error)
{
    kw_status_t s = need_module(error);
    return s != KW_OK ? s : module.team_add_member(server, member, display_name, member_password, error);
}

KW_PUBLIC kw_status_t kw_team_remove_member(const kw_team_server_t *server, const char *member,
                                            char **note_out, char **error)
{
    kw_status_t s = need_module(error);
    if (note_out)
        *note_out = NULL;
    return s != KW_OK ? s : module.team_remove_member(server, member, note_out, error);
}

KW_PUBLIC kw_status_t kw_team_push(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_push_report_t *report, char **error)
{
    kw_status_t s = need_module(error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return module.team_push(store, server, report, error);
}

KW_PUBLIC kw_status_t kw_team_pull(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_pull_report_t *report, char **error)
{
    kw_status_t s = need_module(error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return module.team_pull(store, server, report, error);
}

KW_PUBLIC kw_status_t kw_team_sync(kw_store_t *store, const kw_team_server_t *server, int share,
                                   int64_t as_of, kw_team_push_report_t *push,
                                   kw_team_pull_report_t *pull, char **error)
{
    kw_status_t s = need_module(error);
    if (s != KW_OK) {
        if (push)
            memset(push, 0, sizeof *push);
        if (pull)
            memset(pull, 0, sizeof *pull);
        return s;
    }
    return module.team_sync(store, server, share, as_of, push, pull, error);
}
