/* SPDX-License-Identifier: GPL-3.0-or-later */
/* context.c — the plugin's shared state (see kw_context.h). */
#include "kw_plugin.h"

#include <time.h>

static struct {
    char       *program;    /* keepwarm command */
    char       *db_path;
    kw_store_t *ro_store;   /* cached read-only handle */
    kw_model_t *model;      /* the loaded model (on ro_store) */
    char       *status;
    const KwStatusListener *listener;
} C;

const char *kw_plugin_program(void) { return C.program; }
const char *kw_plugin_db_path(void) { return C.db_path; }
const char *kw_plugin_status(void) { return C.status; }

int64_t kw_plugin_as_of(void)
{
    return (int64_t)time(NULL);
}

static gboolean is_executable(const char *path)
{
    return path && g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
           g_file_test(path, G_FILE_TEST_IS_EXECUTABLE);
}

/* The configured path (a file, or a directory holding `keepwarm`), then
 * PATH. (transfer full) or NULL. */
static char *find_program(const char *setting)
{
    if (setting && *setting) {
        if (is_executable(setting))
            return g_canonicalize_filename(setting, NULL);
        char *dir = g_file_test(setting, G_FILE_TEST_IS_DIR) ? g_strdup(setting)
                                                             : g_path_get_dirname(setting);
        char *next = g_build_filename(dir, "keepwarm", NULL);
        g_free(dir);
        if (is_executable(next)) {
            char *abs = g_canonicalize_filename(next, NULL);
            g_free(next);
            return abs;
        }
        g_free(next);
    }
    return g_find_program_in_path("keepwarm");
}

gboolean kw_context_init(const char *program_setting, const char *store_setting, char **error)
{
    kw_context_done();
    C.program = find_program(program_setting);
    if (!C.program) {
        *error = g_strdup(_("Keep warm needs the “keepwarm” command, which was not found. "
                            "Install keepwarm, or set its location under Configuration → "
                            "Preferences → Plugins → Keep warm (clawsrc [KeepWarm] keepwarm_path)."));
        return FALSE;
    }
    if (store_setting && *store_setting) {
        C.db_path = g_strdup(store_setting);
    } else {
        char *p = kw_default_store_path();
        C.db_path = g_strdup(p);
        kw_free(p);
    }
    if (!C.db_path) {
        *error = g_strdup(_("Keep warm could not work out where its store lives (is HOME set?)."));
        return FALSE;
    }
    return TRUE;
}

void kw_context_done(void)
{
    kw_plugin_model_drop();  /* it reads through the handle */
    kw_store_close(C.ro_store);
    C.ro_store = NULL;
    g_clear_pointer(&C.program, g_free);
    g_clear_pointer(&C.db_path, g_free);
    g_clear_pointer(&C.status, g_free);
    C.listener = NULL;
}

/* ---- store and model ------------------------------------------------------ */

/* A loaded model answers for this long before it is reloaded. */
#define MODEL_MAX_AGE_S 300

void kw_plugin_model_drop(void)
{
    kw_model_free(C.model);
    C.model = NULL;
}

kw_model_t *kw_plugin_model(char **error)
{
    int64_t now = kw_plugin_as_of();
    if (C.model && now - kw_model_as_of(C.model) < MODEL_MAX_AGE_S && now >= kw_model_as_of(C.model))
        return C.model;
    kw_plugin_model_drop();
    kw_store_t *store = kw_plugin_store_open(FALSE, error);
    if (!store)
        return NULL;
    kw_model_options_t opts = { .as_of = now };
    char *err = NULL;
    kw_status_t st = kw_model_load(store, &opts, &C.model, &err);
    if (st != KW_OK && error)
        *error = g_strdup_printf(_("Keep warm: could not read the store: %s"),
                                 err ? err : kw_status_to_string(st));
    kw_free(err);
    return C.model;
}

kw_store_t *kw_plugin_store_open(gboolean write, char **error)
{
    kw_store_t *store = NULL;
    char *err = NULL;
    kw_status_t st;
    if (!C.db_path)
        return NULL;
    if (!write && C.ro_store)
        return C.ro_store;
    st = kw_store_open(C.db_path, write ? KW_STORE_READ_WRITE : KW_STORE_READ_ONLY, &store, &err);
    if (st == KW_OK) {
        if (!write)
            C.ro_store = store;
        return store;
    }
    if (st != KW_ERR_NOT_FOUND && error)
        *error = g_strdup_printf(_("Keep warm: cannot open %s: %s"), C.db_path,
                                 err ? err : kw_status_to_string(st));
    kw_free(err);
    return NULL;
}

/* ---- the status line ------------------------------------------------------ */

void kw_plugin_set_status_listener(const KwStatusListener *listener)
{
    C.listener = listener;
}

void kw_plugin_set_status(const char *text, gboolean is_error)
{
    g_free(C.status);
    C.status = g_strdup(text);
    if (C.listener && C.listener->status)
        C.listener->status(text, is_error);
}

void kw_plugin_clear_error(void)
{
    if (C.listener && C.listener->error_cleared)
        C.listener->error_cleared();
}
