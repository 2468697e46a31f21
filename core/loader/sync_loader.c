/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_loader.c — the heavy halves of the shared library and the command:
 * kw_sync_run() and kw_record_sent(), kw_import_ics(), and the team
 * functions that speak to a server.
 *
 * Each half is a private module, loaded on the first call that needs it:
 *   keepwarm-sync.so  IMAP, TLS and MIME (libetpan, GnuTLS, GMime and the
 *                     twenty-odd libraries they bring); recording a sent
 *                     message (the header parser)
 *   keepwarm-ics.so   calendars (libical, which brings ICU and libstdc++)
 *   keepwarm-team.so  the team's PostgreSQL server (libpq, and the OpenSSL,
 *                     Kerberos and LDAP libraries it brings)
 * Every other process — `keepwarm overdue`, show, the actions, `team status`
 * and `team list`, the plugin's reads — neither loads nor initialises them,
 * and a sync without a team loads neither ICU nor libpq: at start-up that
 * halves the work of the dynamic linker (BIND_NOW resolves every symbol of
 * every library loaded).
 *
 * Each module holds its own copy of the store and model code it uses and
 * exports only its entry points (core/keepwarm-{sync,ics,team}.sym). A
 * module is looked up next to the object this code is linked into:
 * <dir>/NAME (an uninstalled build: build/keepwarm and build/keepwarm-sync.so),
 * then <dir>/keepwarm/NAME (the installed $(LIBDIR)/libkeepwarm.so.0 and
 * $(LIBDIR)/keepwarm/). Static archives for tests and the plugin link every
 * half directly instead (libkeepwarm.a holds imap_sync.c's own kw_sync_run,
 * ics_import.c's and sync_record.c's functions and team_sync.c's own
 * kw_team_push..., not this file). */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

/* The entry points, one pointer each; a module's are resolved together. */
static struct {
    kw_status_t (*sync_run)(kw_store_t *, const kw_sync_options_t *, kw_sync_report_t *, char **);
    kw_status_t (*record_sent)(kw_store_t *, const char *, const char *, size_t, int64_t, char **);
    kw_status_t (*import_ics)(kw_store_t *, const char *, const kw_ics_options_t *, kw_ics_report_t *,
                              char **);
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
} fn;

typedef enum { MOD_SYNC, MOD_ICS, MOD_TEAM, N_MODULES } module_id_t;

static const struct {
    module_id_t module;
    const char *name;
    size_t      offset;
} entry_points[] = {
    { MOD_SYNC, "kw_sync_run", G_STRUCT_OFFSET(__typeof__(fn), sync_run) },
    { MOD_SYNC, "kw_record_sent", G_STRUCT_OFFSET(__typeof__(fn), record_sent) },
    { MOD_ICS, "kw_import_ics", G_STRUCT_OFFSET(__typeof__(fn), import_ics) },
    { MOD_TEAM, "kw_team_init", G_STRUCT_OFFSET(__typeof__(fn), team_init) },
    { MOD_TEAM, "kw_team_add_member", G_STRUCT_OFFSET(__typeof__(fn), team_add_member) },
    { MOD_TEAM, "kw_team_remove_member", G_STRUCT_OFFSET(__typeof__(fn), team_remove_member) },
    { MOD_TEAM, "kw_team_push", G_STRUCT_OFFSET(__typeof__(fn), team_push) },
    { MOD_TEAM, "kw_team_pull", G_STRUCT_OFFSET(__typeof__(fn), team_pull) },
    { MOD_TEAM, "kw_team_sync", G_STRUCT_OFFSET(__typeof__(fn), team_sync) },
};

static struct {
    const char *file;
    GOnce       once;
    int         loaded;
    char       *error;
} modules[N_MODULES] = {
    [MOD_SYNC] = { "keepwarm-sync.so", G_ONCE_INIT, 0, NULL },
    [MOD_ICS] = { "keepwarm-ics.so", G_ONCE_INIT, 0, NULL },
    [MOD_TEAM] = { "keepwarm-team.so", G_ONCE_INIT, 0, NULL },
};

/* Resolve every entry point of module `id` from an opened handle; 0 and a
 * message in `tried` when one is missing (an older module). */
static int resolve_all(module_id_t id, void *h, const char *path, GString *tried)
{
    void *sym[G_N_ELEMENTS(entry_points)] = { NULL };

    for (size_t i = 0; i < G_N_ELEMENTS(entry_points); i++) {
        if (entry_points[i].module != id)
            continue;
        if (!(sym[i] = dlsym(h, entry_points[i].name))) {
            g_string_append_printf(tried, "%s%s: no %s", tried->len ? "; " : "", path,
                                   entry_points[i].name);
            return 0;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(entry_points); i++)
        if (entry_points[i].module == id)
            memcpy((char *) &fn + entry_points[i].offset, &sym[i], sizeof sym[i]);
    return 1;
}

static gpointer load_module(gpointer data)
{
    module_id_t id = (module_id_t) GPOINTER_TO_INT(data);
    const char *file = modules[id].file;
    Dl_info info;
    char *dir = NULL;
    GString *tried = g_string_new(NULL);

    if (dladdr((void *) load_module, &info) && info.dli_fname)
        dir = g_path_get_dirname(info.dli_fname);
    for (int k = 0; dir && k < 2 && !modules[id].loaded; k++) {
        char *path = k == 0 ? g_build_filename(dir, file, NULL)
                            : g_build_filename(dir, "keepwarm", file, NULL);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            modules[id].loaded = resolve_all(id, h, path, tried);
            if (!modules[id].loaded)
                dlclose(h);
            /* else kept loaded for the life of the process */
        } else {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!modules[id].loaded)
        modules[id].error = g_strdup_printf("cannot load keepwarm's module %s (%s); reinstall keepwarm",
                                            file, tried->len ? tried->str : "no directory to look in");
    g_string_free(tried, TRUE);
    g_free(dir);
    return NULL;
}

/* Load module `id` once per process; KW_OK, or KW_ERR_INTERNAL with the
 * reason. */
static kw_status_t need_module(module_id_t id, char **error)
{
    g_once(&modules[id].once, load_module, GINT_TO_POINTER(id));
    if (modules[id].loaded)
        return KW_OK;
    kw_set_error(error, "%s", modules[id].error);
    return KW_ERR_INTERNAL;
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *options,
                                  kw_sync_report_t *report, char **error)
{
    kw_status_t s = need_module(MOD_SYNC, error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return fn.sync_run(store, options, report, error);
}

KW_PUBLIC kw_status_t kw_import_ics(kw_store_t *store, const char *path,
                                    const kw_ics_options_t *options, kw_ics_report_t *report,
                                    char **error)
{
    kw_status_t s = need_module(MOD_ICS, error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return fn.import_ics(store, path, options, report, error);
}

KW_PUBLIC kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                                     size_t len, int64_t now, char **error)
{
    kw_status_t s = need_module(MOD_SYNC, error);
    return s != KW_OK ? s : fn.record_sent(store, account, headers, len, now, error);
}

KW_PUBLIC kw_status_t kw_team_init(const kw_team_server_t *server, int *version_out, char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    return s != KW_OK ? s : fn.team_init(server, version_out, error);
}

KW_PUBLIC kw_status_t kw_team_add_member(const kw_team_server_t *server, const char *member,
                                         const char *display_name, const char *member_password,
                                         char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    return s != KW_OK ? s : fn.team_add_member(server, member, display_name, member_password, error);
}

KW_PUBLIC kw_status_t kw_team_remove_member(const kw_team_server_t *server, const char *member,
                                            char **note_out, char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    if (note_out)
        *note_out = NULL;
    return s != KW_OK ? s : fn.team_remove_member(server, member, note_out, error);
}

KW_PUBLIC kw_status_t kw_team_push(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_push_report_t *report, char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return fn.team_push(store, server, report, error);
}

KW_PUBLIC kw_status_t kw_team_pull(kw_store_t *store, const kw_team_server_t *server,
                                   kw_team_pull_report_t *report, char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    if (s != KW_OK) {
        if (report)
            memset(report, 0, sizeof *report);
        return s;
    }
    return fn.team_pull(store, server, report, error);
}

KW_PUBLIC kw_status_t kw_team_sync(kw_store_t *store, const kw_team_server_t *server, int share,
                                   int64_t as_of, kw_team_push_report_t *push,
                                   kw_team_pull_report_t *pull, char **error)
{
    kw_status_t s = need_module(MOD_TEAM, error);
    if (s != KW_OK) {
        if (push)
            memset(push, 0, sizeof *push);
        if (pull)
            memset(pull, 0, sizeof *pull);
        return s;
    }
    return fn.team_sync(store, server, share, as_of, push, pull, error);
}
