/* SPDX-License-Identifier: GPL-3.0-or-later */
/* view_model.c — the plugin's view logic, free of GTK and Claws (see view_model.h). */
#define GETTEXT_PACKAGE "keepwarm"
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "view_model.h"


/* ---- presentation ------------------------------------------------------- */

const char *kwv_state_colour(kw_state_t state)
{
    switch (state) {
    case KW_STATE_OVERDUE:              return "#d9534f"; /* red */
    case KW_STATE_DUE_SOON:             return "#f0ad4e"; /* amber */
    case KW_STATE_AWAITING_YOUR_REPLY:  return "#3b7dd8"; /* blue: your move */
    case KW_STATE_AWAITING_THEIR_REPLY: return "#9b9b9b"; /* grey: their move */
    case KW_STATE_OK:                   return "#5cb85c"; /* green */
    default:                            return "#cccccc";
    }
}

const char *kwv_state_icon(kw_state_t state)
{
    switch (state) {
    case KW_STATE_OVERDUE:              return "dialog-warning";
    case KW_STATE_DUE_SOON:             return "appointment-soon";
    case KW_STATE_AWAITING_YOUR_REPLY:  return "mail-reply-sender";
    case KW_STATE_AWAITING_THEIR_REPLY: return "mail-send";
    case KW_STATE_OK:                   return "emblem-default";
    default:                            return "image-missing";
    }
}

/* Text from mail (names, folder names, server messages) as it may be shown:
 * the library's sanitiser; "" for NULL. (transfer full, g_free) */
static char *clean(const char *s)
{
    return s ? kw_sanitize_for_display(s) : g_strdup("");
}

/* Take a string and return it cleaned. */
static char *clean_take(char *s)
{
    char *c = clean(s);
    g_free(s);
    return c;
}

/* ---- panel rows --------------------------------------------------------- */

const kw_state_t *kwv_legend_states(size_t *n)
{
    static const kw_state_t legend[] = { KW_STATE_AWAITING_YOUR_REPLY, KW_STATE_AWAITING_THEIR_REPLY,
                                         KW_STATE_OVERDUE, KW_STATE_DUE_SOON };
    *n = G_N_ELEMENTS(legend);
    return legend;
}

void kwv_row_free(kwv_row_t *row)
{
    if (!row)
        return;
    g_free(row->key);
    g_free(row->main_person);
    g_free(row->title);
    g_free(row->people);
    g_free(row->since);
    g_free(row->cadence);
    g_free(row->reason);
    g_free(row->team);
    g_free(row);
}

GPtrArray *kwv_rows_build(const kw_relationship_list_t *list, int64_t as_of)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)kwv_row_free);
    if (!list)
        return rows;
    for (size_t i = 0; i < list->count; i++) {
        const kw_relationship_t *rel = &list->items[i];
        if (!rel->key)
            continue;
        kwv_row_t *row = g_new0(kwv_row_t, 1);
        row->key = g_strdup(rel->key);
        row->main_person = g_strdup(rel->main_person ? rel->main_person : rel->key);
        row->title = clean(rel->display_name && *rel->display_name ? rel->display_name : rel->key);
        row->people = clean_take(kw_words_people_names(rel, 2));
        row->since = kw_words_days(rel->days_since);
        row->cadence = kw_words_cadence(rel->cadence_days);
        row->reason = clean_take(kw_words_reason(&rel->reason, as_of));
        if (rel->reason.team_touch)
            row->team = clean_take(kw_words_team_short(
                rel->reason.team_touch,
                kw_words_team_who(&rel->reason.team_member, rel->reason.team_member_id),
                rel->reason.team_last_touch, as_of));
        row->state = rel->state;
        row->kind = rel->kind;
        row->snoozed_until = rel->snoozed_until;
        g_ptr_array_add(rows, row);
    }
    return rows;
}

/* ---- hint bar ----------------------------------------------------------- */

int64_t kwv_back_on(const kw_relationship_t *rel, int64_t as_of)
{
    return kw_words_back_on(rel, as_of);
}

void kwv_hint_actions(const kw_relationship_t *rel, int64_t as_of, kwv_hint_action_t *first,
                      kwv_hint_action_t *second)
{
    kw_words_hint_actions(rel, as_of, first, second);
}

const char *kwv_hint_action_label(kwv_hint_action_t action)
{
    return kw_words_hint_action_label(action);
}

/* ---- progress lines ----------------------------------------------------- */

static const char *member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n) : NULL;
}

static gint64 member_int(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return 0;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64)
        return json_node_get_int(n);
    if (t == G_TYPE_DOUBLE)
        return (gint64)json_node_get_double(n);
    return 0;
}

gboolean kwv_event_parse(const char *line, kwv_event_t *ev)
{
    static const struct { const char *name; kwv_event_kind_t kind; } kinds[] = {
        {"connected", KWV_EV_CONNECTED}, {"folders", KWV_EV_FOLDERS},
        {"folder", KWV_EV_FOLDER}, {"progress", KWV_EV_PROGRESS},
        {"folder_done", KWV_EV_FOLDER_DONE}, {"warning", KWV_EV_WARNING},
        {"done", KWV_EV_DONE}, {"error", KWV_EV_ERROR},
    };
    memset(ev, 0, sizeof *ev);
    if (!line)
        return FALSE;
    JsonParser *parser = json_parser_new_immutable();
    JsonNode *root = NULL;
    if (json_parser_load_from_data(parser, line, -1, NULL))
        root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_object_unref(parser);
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    const char *event = member_string(o, "event");
    for (size_t i = 0; event && i < G_N_ELEMENTS(kinds); i++)
        if (!strcmp(event, kinds[i].name))
            ev->kind = kinds[i].kind;
    ev->folder = g_strdup(member_string(o, "folder"));
    ev->message = g_strdup(member_string(o, "message"));
    if (ev->kind == KWV_EV_DONE || ev->kind == KWV_EV_ERROR)
        ev->has_status = kw_status_from_string(member_string(o, "status"), &ev->status) == KW_OK;
    ev->done = member_int(o, "done");
    ev->total = member_int(o, "total");
    ev->new_messages = member_int(o, "new");
    g_object_unref(parser);
    return TRUE;
}

void kwv_event_clear(kwv_event_t *ev)
{
    if (!ev)
        return;
    g_free(ev->folder);
    g_free(ev->message);
    memset(ev, 0, sizeof *ev);
}

char *kwv_event_status_text(const kwv_event_t *ev, const char *account)
{
    char *folder = ev->folder ? clean(ev->folder) : NULL;
    char *text = NULL;
    switch (ev->kind) {
    case KWV_EV_CONNECTED:
        text = g_strdup_printf(_("Keep warm: reading %s…"), account);
        break;
    case KWV_EV_FOLDER:
        text = g_strdup_printf(_("Keep warm: reading %s/%s…"), account, folder ? folder : "");
        break;
    case KWV_EV_PROGRESS:
        text = g_strdup_printf(_("Keep warm: reading %s/%s (%lld of %lld)"),
                               account, folder ? folder : "", (long long)ev->done,
                               (long long)ev->total);
        break;
    case KWV_EV_DONE:
        text = g_strdup_printf(_("Keep warm: %s is up to date"), account);
        break;
    default:
        break;
    }
    g_free(folder);
    return text;
}

/* "Keep warm: WHAT (DETAIL)"; takes `what`. */
static char *with_detail(char *what, const char *detail)
{
    char *text;
    char *d = detail && *detail ? clean(detail) : NULL;
    if (d && *d)
        text = g_strdup_printf(_("Keep warm: %s (%s)"), what, d);
    else
        text = g_strdup_printf(_("Keep warm: %s"), what);
    g_free(d);
    g_free(what);
    return text;
}

char *kwv_sync_message(kw_status_t status, const char *account, const char *detail)
{
    char *what;
    switch (status) {
    case KW_OK:
        return NULL;
    case KW_ERR_AUTH:
        what = g_strdup_printf(_("the server refused the password for %s. Check it in Configuration → Edit accounts."), account);
        break;
    case KW_ERR_TLS:
        what = g_strdup_printf(_("the certificate of the server of %s was not accepted. Check the server name and the account's TLS settings."), account);
        break;
    case KW_ERR_INSECURE:
        what = g_strdup_printf(_("%s would send its password without TLS to another computer; it was not synced. Turn on TLS in the account's settings."), account);
        break;
    case KW_ERR_NETWORK:
        what = g_strdup_printf(_("could not reach the server of %s. It will try again at the next sync."), account);
        break;
    case KW_ERR_SERVER:
        what = g_strdup_printf(_("the server of %s answered something unexpected. It will try again at the next sync."), account);
        break;
    case KW_ERR_STORE:
    case KW_ERR_STORE_CORRUPT:
    case KW_ERR_STORE_TOO_NEW:
        what = g_strdup_printf(_("the local store could not be used (%s). Check disk space, or run “keepwarm sync” in a terminal for details."), account);
        break;
    case KW_ERR_BUSY:
        what = g_strdup_printf(_("another sync of %s is running; this one was skipped."), account);
        break;
    case KW_ERR_PARTIAL:
        what = g_strdup_printf(_("%s was synced, but some folders were skipped."), account);
        break;
    default:
        what = g_strdup_printf(_("the sync of %s failed."), account);
        break;
    }
    return with_detail(what, detail);
}

char *kwv_sync_stopped_message(kwv_stop_t how, int code, const char *account, const char *detail)
{
    char *what;
    switch (how) {
    case KWV_STOP_TIMEOUT:
        what = g_strdup_printf(_("the sync of %s took too long and was stopped. It will try again at the next sync."), account);
        break;
    case KWV_STOP_SIGNAL:
        what = g_strdup_printf(_("the sync of %s stopped unexpectedly (signal %d)."), account, code);
        break;
    default:
        what = g_strdup_printf(_("the sync of %s failed (exit %d)."), account, code);
        break;
    }
    return with_detail(what, detail);
}

/* ---- sync arguments ----------------------------------------------------- */

const char *kwv_tls_arg(int ssl_imap, const char *host)
{
    switch (ssl_imap) {
    case 0:  return kw_host_is_loopback(host) ? "none" : NULL;
    case 1:  return "implicit";
    case 2:  return "starttls";
    default: return NULL;
    }
}

char **kwv_sync_argv(const kwv_sync_args_t *a)
{
    GPtrArray *v = g_ptr_array_new();
#define ADD(s) g_ptr_array_add(v, g_strdup(s))
#define ADD2(opt, s) do { ADD(opt); ADD(s); } while (0)
    ADD(a->program);
    ADD("sync");
    ADD("--progress=json");
    ADD("--no-team");
    ADD2("--host", a->host);
    if (a->port > 0)
        g_ptr_array_add(v, g_strdup_printf("--port=%d", a->port));
    g_ptr_array_add(v, g_strdup_printf("--tls=%s", a->tls));
    ADD2("--user", a->user);
    ADD2("--account", a->account);
    if (a->me && *a->me)
        ADD2("--me", a->me);
    g_ptr_array_add(v, g_strdup_printf("--password-fd=%d", a->password_fd));
    if (a->ca_file && *a->ca_file)
        ADD2("--ca-file", a->ca_file);
    ADD2("--db", a->db);
    g_ptr_array_add(v, NULL);
#undef ADD
#undef ADD2
    return (char **)g_ptr_array_free(v, FALSE);
}

char **kwv_split_list(const char *text)
{
    GPtrArray *v = g_ptr_array_new();
    if (text) {
        char **parts = g_strsplit_set(text, ",;\n\r", -1);
        for (char **p = parts; *p; p++) {
            char *s = g_strstrip(g_strdup(*p));
            if (*s)
                g_ptr_array_add(v, s);
            else
                g_free(s);
        }
        g_strfreev(parts);
    }
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}
