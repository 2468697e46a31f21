/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_context.h — the plugin's shared state, below every other module: the
 * keepwarm command, where the store is, the read-only store handle and the
 * one loaded model, "now", and the status line. It calls no other plugin
 * module; who shows the status line is told through a listener
 * (plugin_main.c). Main thread only. */
#ifndef KW_PLUGIN_CONTEXT_H
#define KW_PLUGIN_CONTEXT_H

#include <glib.h>
#include "keepwarm.h"

/* Find the keepwarm command (the configured path — a file, or a directory
 * holding `keepwarm` — else PATH) and the store (the configured path, else
 * kw_default_store_path()). FALSE with *error (g_free) when either is
 * missing. Safe to call again after kw_context_done(). */
gboolean    kw_context_init(const char *program_setting, const char *store_setting, char **error);
/* Drop the model and the store handle, forget the paths and the status. */
void        kw_context_done(void);

const char *kw_plugin_program(void);   /* the keepwarm command (transfer none) */
const char *kw_plugin_db_path(void);   /* the store path (transfer none) */
int64_t     kw_plugin_as_of(void);     /* now */

/* Open the store. Read-only (write FALSE): the one cached handle, never
 * closed by the caller (transfer none). Read-write: a new handle, closed by
 * the caller with kw_store_close (transfer full); it creates the store.
 * NULL when a read-only store does not exist yet; *error (g_free, may be
 * NULL) when something is wrong. */
kw_store_t *kw_plugin_store_open(gboolean write, char **error);
/* The model as of now, loaded once and shared by the panel, the hint bar and
 * Details (transfer none). Reloaded after kw_plugin_model_drop() (the store
 * changed: a sync ended, an action, new preferences) and when older than a
 * few minutes. The default cadence is the store's setting. NULL when there
 * is no store yet; *error (g_free) when something is wrong. */
kw_model_t *kw_plugin_model(char **error);
void        kw_plugin_model_drop(void);

/* ---- the status line ------------------------------------------------------ */
typedef struct {
    /* A new line for the status bar; an error also stays in the panel's
     * header until error_cleared. */
    void (*status)(const char *text, gboolean is_error);
    /* Every account synced fine again: take the error down. */
    void (*error_cleared)(void);
} KwStatusListener;

/* NULL: nobody listens (at teardown). The listener is not copied. */
void        kw_plugin_set_status_listener(const KwStatusListener *listener);
void        kw_plugin_set_status(const char *text, gboolean is_error);
const char *kw_plugin_status(void);    /* the last line, or NULL (transfer none) */
void        kw_plugin_clear_error(void);

#endif
