/* view_model.c — the plugin's view logic, free of GTK and Claws (see view_model.h). */
#define GETTEXT_PACKAGE "keepwarm"
#include <glib/gi18n-lib.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>

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

/* Replace invalid UTF-8 and control characters, fold whitespace runs. */
static char *clean(const char *s)
{
    if (!s)
        return g_strdup("");
    char *valid = g_utf8_make_valid(s, -1);
    GString *out = g_string_sized_new(strlen(valid));
    gboolean space = FALSE;
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (g_unichar_isspace(c) || t == G_UNICODE_CONTROL) {
            space = out->len > 0;
            continue;
        }
        /* bidi overrides/isolates and other format characters */
        if (t == G_UNICODE_FORMAT)
            continue;
        if (space)
            g_string_append_c(out, ' ');
        space = FALSE;
        g_string_append_unichar(out, c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}

/* Take a string and return it cleaned. */
static char *clean_take(char *s)
{
    char *c = clean(s);
    g_free(s);
    return c;
}

/* ---- panel rows --------------------------------------------------------- */

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
        row->people = clean_take(kw_words_people(rel->people, 2));
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
        g_ptr_array_add(rows, row);
    }
    return rows;
}

/* ---- hint bar ----------------------------------------------------------- */

kwv_hint_action_t kwv_hint_action(const kw_relationship_t *rel)
{
    if (!rel)
        return KWV_HINT_NONE;
    switch (rel->state) {
    case KW_STATE_OVERDUE:
    case KW_STATE_DUE_SOON:             return KWV_HINT_WRITE;
    case KW_STATE_AWAITING_YOUR_REPLY:  return KWV_HINT_REPLY;
    case KW_STATE_AWAITING_THEIR_REPLY: return KWV_HINT_SNOOZE_WEEK;
    case KW_STATE_OK:                   return KWV_HINT_DETAILS;
    default:                            return KWV_HINT_NONE;
    }
}

const char *kwv_hint_action_label(kwv_hint_action_t action)
{
    switch (action) {
    case KWV_HINT_WRITE:       return _("Write…");
    case KWV_HINT_REPLY:       return _("Reply");
    case KWV_HINT_SNOOZE_WEEK: return _("Snooze 1 week");
    case KWV_HINT_DETAILS:     return _("Details…");
    default:                   return NULL;
    }
}

/* ---- progress lines ----------------------------------------------------- */

/* A tiny parser for one flat JSON object: string, number, true/false/null
 * values. Nested values are skipped. Returns FALSE on malformed input. */
typedef struct { const char *p; } json_cur;

static void skip_ws(json_cur *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
        c->p++;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static gboolean read_hex4(json_cur *c, gunichar *out)
{
    gunichar v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(c->p[i]);
        if (h < 0)
            return FALSE;
        v = v * 16 + (gunichar)h;
    }
    c->p += 4;
    *out = v;
    return TRUE;
}

static gboolean parse_string(json_cur *c, GString *out)
{
    if (*c->p != '"')
        return FALSE;
    c->p++;
    while (*c->p && *c->p != '"') {
        if (*c->p != '\\') {
            g_string_append_c(out, *c->p++);
            continue;
        }
        c->p++;
        switch (*c->p++) {
        case '"':  g_string_append_c(out, '"'); break;
        case '\\': g_string_append_c(out, '\\'); break;
        case '/':  g_string_append_c(out, '/'); break;
        case 'b':  g_string_append_c(out, '\b'); break;
        case 'f':  g_string_append_c(out, '\f'); break;
        case 'n':  g_string_append_c(out, '\n'); break;
        case 'r':  g_string_append_c(out, '\r'); break;
        case 't':  g_string_append_c(out, '\t'); break;
        case 'u': {
            gunichar u;
            if (!read_hex4(c, &u))
                return FALSE;
            if (u >= 0xD800 && u <= 0xDBFF && c->p[0] == '\\' && c->p[1] == 'u') {
                gunichar lo;
                json_cur save = *c;
                c->p += 2;
                if (read_hex4(c, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                else
                    *c = save;
            }
            if (u >= 0xD800 && u <= 0xDFFF)
                u = 0xFFFD;
            g_string_append_unichar(out, u);
            break;
        }
        default:
            return FALSE;
        }
    }
    if (*c->p != '"')
        return FALSE;
    c->p++;
    return TRUE;
}

static gboolean skip_nested(json_cur *c)
{
    int depth = 0;
    do {
        if (*c->p == '"') {
            GString *tmp = g_string_new(NULL);
            gboolean ok = parse_string(c, tmp);
            g_string_free(tmp, TRUE);
            if (!ok)
                return FALSE;
            continue;
        }
        if (*c->p == '{' || *c->p == '[')
            depth++;
        else if (*c->p == '}' || *c->p == ']')
            depth--;
        else if (!*c->p)
            return FALSE;
        c->p++;
    } while (depth > 0);
    return TRUE;
}

static void set_field(kwv_event_t *ev, const char *key, const char *sval, gboolean is_num, gint64 num)
{
    if (!strcmp(key, "event") && sval) {
        static const struct { const char *name; kwv_event_kind_t kind; } map[] = {
            {"connected", KWV_EV_CONNECTED}, {"folders", KWV_EV_FOLDERS},
            {"folder", KWV_EV_FOLDER}, {"progress", KWV_EV_PROGRESS},
            {"folder_done", KWV_EV_FOLDER_DONE}, {"warning", KWV_EV_WARNING},
            {"done", KWV_EV_DONE}, {"error", KWV_EV_ERROR},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
            if (!strcmp(sval, map[i].name))
                ev->kind = map[i].kind;
    } else if (!strcmp(key, "folder") && sval) {
        g_free(ev->folder);
        ev->folder = g_strdup(sval);
    } else if (!strcmp(key, "message") && sval) {
        g_free(ev->message);
        ev->message = g_strdup(sval);
    } else if (!strcmp(key, "status") && sval) {
        g_free(ev->status);
        ev->status = g_strdup(sval);
    } else if (is_num) {
        if (!strcmp(key, "done")) ev->done = num;
        else if (!strcmp(key, "total")) ev->total = num;
        else if (!strcmp(key, "new")) ev->new_messages = num;
        else if (!strcmp(key, "exit")) ev->exit_code = (int)num;
    }
}

gboolean kwv_event_parse(const char *line, kwv_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->exit_code = -1;
    if (!line)
        return FALSE;
    json_cur c = { line };
    GString *key = g_string_new(NULL), *val = g_string_new(NULL);
    gboolean ok = FALSE;
    skip_ws(&c);
    if (*c.p != '{')
        goto done;
    c.p++;
    skip_ws(&c);
    if (*c.p == '}') {
        c.p++;
        ok = TRUE;
        goto tail;
    }
    for (;;) {
        skip_ws(&c);
        g_string_truncate(key, 0);
        if (!parse_string(&c, key))
            goto done;
        skip_ws(&c);
        if (*c.p++ != ':')
            goto done;
        skip_ws(&c);
        if (*c.p == '"') {
            g_string_truncate(val, 0);
            if (!parse_string(&c, val))
                goto done;
            set_field(ev, key->str, val->str, FALSE, 0);
        } else if (*c.p == '{' || *c.p == '[') {
            if (!skip_nested(&c))
                goto done;
        } else if (!strncmp(c.p, "true", 4) || !strncmp(c.p, "null", 4)) {
            c.p += 4;
        } else if (!strncmp(c.p, "false", 5)) {
            c.p += 5;
        } else {
            char *end = NULL;
            double d = g_ascii_strtod(c.p, &end);
            if (end == c.p)
                goto done;
            c.p = end;
            set_field(ev, key->str, NULL, TRUE, (gint64)d);
        }
        skip_ws(&c);
        if (*c.p == ',') {
            c.p++;
            continue;
        }
        if (*c.p == '}') {
            c.p++;
            ok = TRUE;
            break;
        }
        goto done;
    }
tail:
    skip_ws(&c);
    if (*c.p)
        ok = FALSE;
done:
    g_string_free(key, TRUE);
    g_string_free(val, TRUE);
    if (!ok)
        kwv_event_clear(ev);
    return ok;
}

void kwv_event_clear(kwv_event_t *ev)
{
    if (!ev)
        return;
    g_free(ev->folder);
    g_free(ev->message);
    g_free(ev->status);
    memset(ev, 0, sizeof *ev);
    ev->exit_code = -1;
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

char *kwv_exit_message(int exit_code, const char *account, const char *detail)
{
    char *what = NULL;
    switch (exit_code) {
    case 0:
        return NULL;
    case 3:
        what = g_strdup_printf(_("the server refused the password for %s. Check it in Configuration → Edit accounts."), account);
        break;
    case 4:
        what = g_strdup_printf(_("the certificate of the server of %s was not accepted. Check the server name and the account's TLS settings."), account);
        break;
    case 5:
        what = g_strdup_printf(_("could not reach the server of %s. It will try again at the next sync."), account);
        break;
    case 6:
        what = g_strdup_printf(_("the server of %s answered something unexpected. It will try again at the next sync."), account);
        break;
    case 7:
        what = g_strdup_printf(_("the local store could not be used (%s). Check disk space, or run “keepwarm sync” in a terminal for details."), account);
        break;
    case 8:
        what = g_strdup_printf(_("another sync of %s is running; this one was skipped."), account);
        break;
    case 9:
        what = g_strdup_printf(_("%s was synced, but some folders were skipped."), account);
        break;
    case 124:
        what = g_strdup_printf(_("the sync of %s took too long and was stopped. It will try again at the next sync."), account);
        break;
    default:
        what = g_strdup_printf(_("the sync of %s failed (exit %d)."), account, exit_code);
        break;
    }
    char *text;
    char *d = detail && *detail ? clean(detail) : NULL;
    if (d)
        text = g_strdup_printf(_("Keep warm: %s (%s)"), what, d);
    else
        text = g_strdup_printf(_("Keep warm: %s"), what);
    g_free(d);
    g_free(what);
    return text;
}

/* ---- sync arguments ----------------------------------------------------- */

gboolean kwv_host_is_loopback(const char *host)
{
    if (!host)
        return FALSE;
    if (!g_ascii_strcasecmp(host, "localhost") || !g_ascii_strcasecmp(host, "localhost.") ||
        !strcmp(host, "::1") || !strcmp(host, "[::1]"))
        return TRUE;
    unsigned a, b, c, d;
    char tail;
    if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
        return a == 127 && b < 256 && c < 256 && d < 256;
    return FALSE;
}

const char *kwv_tls_arg(int ssl_imap, const char *host)
{
    switch (ssl_imap) {
    case 0:  return kwv_host_is_loopback(host) ? "none" : NULL;
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
    for (const char *const *m = a->extra_me; m && *m; m++)
        if (**m)
            ADD2("--me", *m);
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
        char **parts = g_strsplit_set(text, ",;\n\t ", -1);
        for (char **p = parts; *p; p++) {
            char *s = g_strstrip(g_ascii_strdown(*p, -1));
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
