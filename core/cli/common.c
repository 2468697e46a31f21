/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common.c — helpers shared by the keepwarm subcommands (see cli.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "cli.h"

int kw_cli_exit_code(kw_status_t status)
{
    switch (status) {
    case KW_OK:                return KW_EXIT_OK;
    case KW_ERR_USAGE:
    case KW_ERR_AMBIGUOUS:     return KW_EXIT_USAGE;
    case KW_ERR_AUTH:          return KW_EXIT_AUTH;
    case KW_ERR_TLS:
    case KW_ERR_INSECURE:      return KW_EXIT_TLS;
    case KW_ERR_NETWORK:       return KW_EXIT_NETWORK;
    case KW_ERR_SERVER:        return KW_EXIT_SERVER;
    case KW_ERR_STORE:
    case KW_ERR_STORE_CORRUPT:
    case KW_ERR_STORE_TOO_NEW: return KW_EXIT_STORE;
    case KW_ERR_BUSY:          return KW_EXIT_BUSY;
    case KW_ERR_PARTIAL:       return KW_EXIT_PARTIAL;
    case KW_ERR_NOT_FOUND:     return KW_EXIT_NOT_FOUND;
    default:                   return KW_EXIT_OTHER;
    }
}

static const char *hint_for(kw_status_t status)
{
    switch (status) {
    case KW_ERR_AUTH:
        return _("check the user name and password (or password_cmd) of this account");
    case KW_ERR_TLS:
        return _("the server's certificate or TLS setup was not accepted; for a private CA "
               "use --ca-file (see 'man keepwarm', TROUBLESHOOTING)");
    case KW_ERR_INSECURE:
        return _("use --tls=implicit (port 993) or --tls=starttls (port 143)");
    case KW_ERR_NETWORK:
        return _("check the network and the server address; the next sync resumes where this one stopped");
    case KW_ERR_SERVER:
        return _("the server misbehaved; try again later, and report it if it persists");
    case KW_ERR_STORE_CORRUPT:
        return _("keepwarm did not modify the file; move it aside and sync again to rebuild it");
    case KW_ERR_STORE_TOO_NEW:
        return _("install a newer keepwarm");
    case KW_ERR_STORE:
        return _("check free disk space and permissions of the database directory");
    case KW_ERR_BUSY:
        return _("wait for the running sync to finish");
    case KW_ERR_NOMEM:
        return _("the server sent more data than keepwarm accepts");
    default:
        return NULL;
    }
}

/* Library messages that already say what to do ("...; the next sync
 * resumes", "— check them", "run a sync first") get no second hint: one
 * piece of advice per error. */
static int says_what_to_do(const char *message)
{
    static const char *const advice[] = { "the next sync resumes", "check ", "run a sync",
                                          "move it aside", "try again", "install ", "give the ",
                                          "free some space", "undo that first", NULL };
    for (const char *const *a = advice; message && *a; a++)
        if (strstr(message, *a))
            return 1;
    return 0;
}

int kw_cli_fail(kw_status_t status, const char *message)
{
    return kw_cli_fail_hint(status, message, says_what_to_do(message) ? NULL : hint_for(status));
}

int kw_cli_fail_hint(kw_status_t status, const char *message, const char *hint)
{
    char *clean = kw_sanitize_for_display(message ? message : kw_status_to_string(status));
    fprintf(stderr, "keepwarm: %s\n", clean);
    if (hint)
        fprintf(stderr, "keepwarm: %s\n", hint);
    kw_free(clean);
    return kw_cli_exit_code(status);
}

int kw_cli_fail_free(kw_status_t status, char *error)
{
    int rc = kw_cli_fail(status, error);
    kw_free(error);
    return rc;
}

char *kw_cli_target_words(const kw_target_t *target)
{
    char *w = kw_words_target(target), *c = kw_cli_clean(w);
    g_free(w);
    return c;
}

int kw_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "keepwarm %s: %s\n", cmd, msg);
    fprintf(stderr, _("Try 'keepwarm %s --help'.\n"), cmd);
    g_free(msg);
    return KW_EXIT_USAGE;
}

int kw_cli_parse_options(kw_cli_t *cli, const char *cmd, const char *params,
                         const char *summary, const char *description,
                         GOptionEntry *entries, int *argc, char ***argv)
{
    GOptionContext *ctx;
    GError *err = NULL;
    char *db = NULL, *config = NULL;
    gboolean wide = FALSE;
    GOptionEntry common[] = {
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("Database file (default: $XDG_DATA_HOME/keepwarm/keepwarm.db)"), N_("PATH") },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, N_("Config file (default: $XDG_CONFIG_HOME/keepwarm/config)"), N_("PATH") },
        { "wide", 0, 0, G_OPTION_ARG_NONE, &wide, N_("Print tables whole, however wide (default: fit the terminal, $COLUMNS or 100 columns)"), NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    char *prgname = g_strdup_printf("keepwarm %s", cmd);
    int rc = 0;

    g_set_prgname(prgname);
    g_free(prgname);
    ctx = g_option_context_new(params);
    /* add_main_entries sets the main group's domain again: pass it there
     * too, or the options stay English */
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (summary)
        g_option_context_set_summary(ctx, summary);
    if (description)
        g_option_context_set_description(ctx, description);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, common, GETTEXT_PACKAGE);
    g_option_context_set_help_enabled(ctx, TRUE);
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        rc = kw_cli_usage_error(cmd, "%s", err->message);
        g_error_free(err);
    }
    g_option_context_free(ctx);
    if (db) {
        g_free(cli->db_path);
        cli->db_path = db;
    }
    if (config) {
        g_free(cli->config_path);
        cli->config_path = config;
    }
    if (wide)
        cli->width = 0;
    return rc;
}

size_t kw_cli_terminal_width(int stdout_tty)
{
    const char *env = getenv("COLUMNS");
    struct winsize ws;

    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return (size_t) v;
    }
    if (stdout_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 100;
}

/* ---- targets -------------------------------------------------------------------- */

/* "  Alice Jones <alice@a.example>" lines, and how many more there were. */
static void print_candidates(const kw_candidate_list_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        char *who = kw_words_target(&c->items[i].target);
        char *clean = kw_cli_clean(who);
        fprintf(stderr, "  %s\n", clean);
        g_free(clean);
        g_free(who);
    }
    if (c->total > c->count)
        fprintf(stderr, g_dngettext(GETTEXT_PACKAGE, "  … and %zu more\n", "  … and %zu more\n",
                                    (gulong) (c->total - c->count)),
                c->total - c->count);
}

int kw_cli_resolve(kw_model_t *model, const char *text, kw_target_t **target)
{
    kw_candidate_list_t *c = NULL;
    char *error = NULL, *shown;
    kw_status_t st = kw_model_resolve(model, text, target, &error);
    int rc;

    if (st == KW_OK)
        return 0;
    if ((st != KW_ERR_AMBIGUOUS && st != KW_ERR_NOT_FOUND) ||
        kw_model_find(model, text, 8, &c, NULL) != KW_OK ||
        (st == KW_ERR_NOT_FOUND && c->query != KW_QUERY_NAME && c->known)) {
        /* the library's own message: free-mail domains, lists, colleagues */
        rc = kw_cli_fail(st, error);
        kw_candidate_list_free(c);
        kw_free(error);
        return rc;
    }
    kw_free(error);
    shown = kw_cli_clean(text);
    g_strstrip(shown);
    if (st == KW_ERR_AMBIGUOUS) {
        fprintf(stderr, g_dngettext(GETTEXT_PACKAGE, "keepwarm: '%s' could mean %zu contact or organisation:\n",
                                    "keepwarm: '%s' could mean any of %zu contacts or organisations:\n",
                                    (gulong) c->total),
                shown, c->total);
        print_candidates(c);
        fputs(_("keepwarm: give the address or the domain of the one you mean\n"), stderr);
        rc = KW_EXIT_USAGE;
    } else {
        if (c->query == KW_QUERY_ADDRESS)
            fprintf(stderr, _("keepwarm: no mail with %s in the store"), shown);
        else if (c->query == KW_QUERY_DOMAIN)
            fprintf(stderr, _("keepwarm: no mail with anyone at %s in the store"), shown);
        else
            fprintf(stderr, _("keepwarm: nobody called '%s' in the store"), shown);
        if (c->count == 0) {
            fputc('\n', stderr);
            fputs(_("keepwarm: 'keepwarm overdue --all' lists every relationship, "
                    "'keepwarm contacts' everyone you wrote to\n"), stderr);
        } else {
            fputs(_("; did you mean:\n"), stderr);
            print_candidates(c);
        }
        rc = KW_EXIT_NOT_FOUND;
    }
    g_free(shown);
    kw_candidate_list_free(c);
    return rc;
}

/* Whether `address` (normalised) is one of the user's own addresses. */
static int is_own_address(kw_store_t *store, const char *address)
{
    kw_identity_list_t *ids = NULL;
    int own = 0;

    if (kw_store_identities(store, NULL, &ids, NULL) != KW_OK)
        return 0;
    for (size_t i = 0; i < ids->count && !own; i++)
        own = strcmp(ids->items[i].address, address) == 0;
    kw_identity_list_free(ids);
    return own;
}

int kw_cli_open_target(kw_cli_t *cli, const char *text, kw_store_t **store, kw_target_t **target)
{
    kw_model_options_t mo = { .as_of = (int64_t) time(NULL) };
    kw_model_t *model = NULL;
    char *error = NULL;
    kw_status_t st;
    int rc;

    if ((rc = kw_cli_open_store(cli, KW_STORE_READ_WRITE, store)))
        return rc;
    st = kw_model_load(*store, &mo, &model, &error);
    if (st != KW_OK) {
        rc = kw_cli_fail(st, error);
        kw_free(error);
    } else {
        rc = kw_cli_resolve(model, text, target);
    }
    kw_model_free(model);
    if (rc == 0 && (*target)->kind == KW_TARGET_PERSON && is_own_address(*store, (*target)->key)) {
        /* snoozing, ignoring or logging a call with yourself would act on
         * nothing anyone sees: say so instead of confirming it */
        char *msg = g_strdup_printf(_("%s is one of your own addresses, not a relationship"), (*target)->key);
        rc = kw_cli_fail(KW_ERR_USAGE, msg);
        g_free(msg);
        kw_target_free(*target);
        *target = NULL;
    }
    if (rc) {
        kw_store_close(*store);
        *store = NULL;
    }
    return rc;
}

int kw_cli_open_store(kw_cli_t *cli, kw_store_mode_t mode, kw_store_t **store)
{
    char *path = cli->db_path ? g_strdup(cli->db_path) : kw_default_store_path();
    char *error = NULL;
    kw_status_t st = kw_store_open(path, mode, store, &error);
    int rc = 0;

    if (st != KW_OK) {
        rc = kw_cli_fail(st, error);
        kw_free(error);
    }
    g_free(path);
    return rc;
}

char *kw_cli_iso_time(int64_t t)
{
    /* gmtime_r + printf: a tenth of GDateTime's cost, and a JSON list
     * prints six of these per row */
    time_t tt = (time_t) t;
    struct tm tm;
    if (t == 0 || !gmtime_r(&tt, &tm))
        return NULL;
    return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *kw_cli_iso_day(int64_t t)
{
    char *iso = kw_cli_iso_time(t);
    if (iso)
        iso[10] = '\0';
    return iso;
}

int kw_cli_parse_format(const char *text, unsigned allowed, kw_format_t *out)
{
    static const struct { const char *name; kw_format_t f; } names[] = {
        { "table", KW_FORMAT_TABLE }, { "tsv", KW_FORMAT_TSV }, { "json", KW_FORMAT_JSON },
        { "csv", KW_FORMAT_CSV }, { "vcard", KW_FORMAT_VCARD },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (text && strcmp(text, names[i].name) == 0 && (allowed & (1u << names[i].f))) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

void kw_json_string(GString *out, const char *s)
{
    char *valid;
    if (!s) {
        g_string_append(out, "null");
        return;
    }
    valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

char *kw_cli_clean(const char *s)
{
    char *c, *r;
    if (!s)
        return NULL;
    c = kw_sanitize_for_display(s);
    r = g_strdup(c);
    kw_free(c);
    return r;
}

/* ---- JSON documents --------------------------------------------------------- */

void kw_json_member_string(JsonBuilder *b, const char *name, const char *value)
{
    char *c = kw_cli_clean(value);
    json_builder_set_member_name(b, name);
    if (c)
        json_builder_add_string_value(b, c);
    else
        json_builder_add_null_value(b);
    g_free(c);
}

/* A member holding a string the program made (no mail text in it: names of
 * states and sources, ISO times, normalised addresses): no sanitising. */
static void member_plain(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void kw_json_member_time(JsonBuilder *b, const char *name, int64_t t)
{
    char *iso = kw_cli_iso_time(t);
    member_plain(b, name, iso);
    g_free(iso);
}

static void member_int(JsonBuilder *b, const char *name, int64_t v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static void member_person(JsonBuilder *b, const char *name, const kw_person_ref_t *p)
{
    json_builder_set_member_name(b, name);
    if (!p->address && !p->name) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    member_plain(b, "address", p->address);
    kw_json_member_string(b, "name", p->name);
    json_builder_end_object(b);
}

static const char *cadence_source_name(kw_cadence_source_t s)
{
    return s == KW_CADENCE_USER ? "user" : s == KW_CADENCE_LEARNED ? "learned" : "default";
}

static const char *waiting_name(kw_waiting_t w)
{
    return w == KW_WAITING_ON_YOU ? "you" : w == KW_WAITING_ON_THEM ? "them" : NULL;
}

JsonNode *kw_cli_relationship_json(const kw_relationship_t *r, int64_t as_of)
{
    JsonBuilder *b = json_builder_new();
    const kw_reason_t *w = &r->reason;
    char *reason = kw_words_reason(w, as_of), *cadence = kw_words_cadence(r->cadence_days);
    JsonNode *root;

    json_builder_begin_object(b);
    member_plain(b, "kind", r->kind == KW_TARGET_ORG ? "org" : "person");
    member_plain(b, "key", r->key);
    kw_json_member_string(b, "name", r->display_name);
    json_builder_set_member_name(b, "name_user_set");
    json_builder_add_boolean_value(b, r->display_name_user_set);
    json_builder_set_member_name(b, "people");
    json_builder_begin_array(b);
    for (size_t i = 0; r->people && r->people[i]; i++)
        json_builder_add_string_value(b, r->people[i]); /* normalised addresses */
    json_builder_end_array(b);
    json_builder_set_member_name(b, "people_names"); /* the same order; null: no name known */
    json_builder_begin_array(b);
    for (size_t i = 0; r->people && r->people[i]; i++) {
        const char *n = r->people_names ? r->people_names[i] : NULL;
        char *c = n && *n ? kw_cli_clean(n) : NULL;
        if (c)
            json_builder_add_string_value(b, c);
        else
            json_builder_add_null_value(b);
        g_free(c);
    }
    json_builder_end_array(b);
    member_plain(b, "main_person", r->main_person);
    member_plain(b, "state", kw_state_to_string(r->state));
    member_plain(b, "state_text", kw_words_state(r->state));
    kw_json_member_time(b, "last_touch", r->last_touch);
    kw_json_member_time(b, "last_inbound", r->last_inbound);
    kw_json_member_time(b, "last_outbound", r->last_outbound);
    json_builder_set_member_name(b, "days_since");
    if (r->last_touch || r->last_inbound)
        json_builder_add_int_value(b, r->days_since);
    else
        json_builder_add_null_value(b);
    member_int(b, "cadence_days", r->cadence_days);
    member_plain(b, "cadence_source", cadence_source_name(w->cadence_source));
    json_builder_set_member_name(b, "cadence_user_set");
    json_builder_add_boolean_value(b, w->cadence_source == KW_CADENCE_USER);
    member_plain(b, "cadence_text", cadence);
    kw_json_member_time(b, "due_date", r->due_date);
    kw_json_member_time(b, "snoozed_until", r->snoozed_until);
    member_int(b, "touches", r->touches);
    json_builder_set_member_name(b, "score");
    json_builder_add_double_value(b, r->score);
    kw_json_member_string(b, "reason", reason);
    /* the facts behind the reason, for programs that word them themselves */
    json_builder_set_member_name(b, "why");
    json_builder_begin_object(b);
    kw_json_member_time(b, "last_exchange", w->last_exchange);
    member_person(b, "last_exchange_with", &w->last_exchange_with);
    member_plain(b, "waiting_on", waiting_name(w->waiting));
    kw_json_member_time(b, "waiting_since", w->waiting_since);
    member_person(b, "waiting_person", &w->waiting_person);
    member_int(b, "reply_samples", w->reply_samples);
    member_int(b, "their_reply_days", w->their_reply_days);
    member_int(b, "exchanges", w->exchanges);
    kw_json_member_time(b, "first_exchange", w->first_exchange);
    member_plain(b, "rhythm_state", kw_state_to_string(w->rhythm_state));
    member_int(b, "waiting_touches", w->waiting_touches);
    kw_json_member_time(b, "waiting_last", w->waiting_last);
    kw_json_member_time(b, "away_since", w->away_since);
    member_person(b, "away_person", &w->away_person);
    kw_json_member_time(b, "away_until", w->away_until);
    json_builder_set_member_name(b, "away_until_is_return");
    json_builder_add_boolean_value(b, w->away_until_is_return);
    kw_json_member_time(b, "settled_until", w->settled_until);
    member_plain(b, "last_exchange_source", w->last_exchange ? kw_source_to_string(w->last_exchange_source)
                                                             : NULL);
    kw_json_member_time(b, "planned_touch", w->planned_touch);
    member_plain(b, "planned_source", w->planned_touch ? kw_source_to_string(w->planned_source) : NULL);
    member_plain(b, "own_state", kw_state_to_string(w->own_state));
    json_builder_set_member_name(b, "team_ok");
    json_builder_add_boolean_value(b, w->team_ok);
    kw_json_member_time(b, "team_last_touch", w->team_last_touch);
    member_plain(b, "team_touch", w->team_touch ? kw_team_touch_kind_to_string(w->team_touch) : NULL);
    json_builder_set_member_name(b, "team_member");
    if (w->team_touch) {
        json_builder_begin_object(b);
        kw_json_member_string(b, "id", w->team_member_id);
        kw_json_member_string(b, "name", w->team_member.name);
        member_plain(b, "address", w->team_member.address);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
    kw_json_member_string(b, "note", r->note);
    json_builder_set_member_name(b, "note_from_org");
    json_builder_add_boolean_value(b, r->note_from_org);
    member_plain(b, "tier", r->tier != KW_TIER_NONE ? kw_tier_to_string(r->tier) : NULL);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    g_free(reason);
    g_free(cadence);
    return root;
}

JsonNode *kw_cli_touch_json(const kw_touch_t *t)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;

    json_builder_begin_object(b);
    kw_json_member_time(b, "time", t->time);
    kw_json_member_string(b, "address", t->address);
    member_plain(b, "direction", t->inbound && t->outbound ? "both" : t->inbound ? "in" : "out");
    member_plain(b, "source", kw_source_to_string(t->source));
    kw_json_member_string(b, "subject", t->subject);
    if (t->log_id) { /* a logged or calendar touch: what `log --undo` takes */
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, t->log_id);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

void kw_cli_print_json(FILE *out, JsonNode *root)
{
    JsonGenerator *g = json_generator_new();
    char *text;
    json_generator_set_pretty(g, TRUE);
    json_generator_set_indent(g, 2);
    json_generator_set_root(g, root);
    text = json_generator_to_data(g, NULL);
    fputs(text, out);
    fputc('\n', out);
    g_free(text);
    g_object_unref(g);
}

/* ---- CSV and vCard ------------------------------------------------------------ */

void kw_csv_field(GString *out, const char *s, int first, char sep)
{
    char *c = kw_cli_clean(s);
    char special[] = { sep, '"', '\r', '\n', '\0' };
    if (!first)
        g_string_append_c(out, sep);
    if (c && strpbrk(c, special)) {
        g_string_append_c(out, '"');
        for (const char *p = c; *p; p++) {
            if (*p == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
    } else if (c) {
        g_string_append(out, c);
    }
    g_free(c);
}

void kw_vcard_line(GString *out, const char *line)
{
    size_t len = strlen(line), pos = 0, limit = 75;
    while (len - pos > limit) {
        size_t cut = pos + limit;
        while (cut > pos && ((unsigned char) line[cut] & 0xC0) == 0x80)
            cut--;
        g_string_append_len(out, line + pos, (gssize) (cut - pos));
        g_string_append(out, "\r\n ");
        pos = cut;
        limit = 74; /* the leading space counts */
    }
    g_string_append(out, line + pos);
    g_string_append(out, "\r\n");
}

void kw_vcard_prop(GString *out, const char *name, const char *value)
{
    GString *line = g_string_new(name);
    /* the sanitiser folds newlines away; a note keeps its line breaks */
    char **lines = g_strsplit(value ? value : "", "\n", -1);
    g_string_append_c(line, ':');
    for (char **l = lines; *l; l++) {
        char *cl = kw_cli_clean(*l);
        if (l != lines)
            g_string_append(line, "\\n");
        for (const char *p = cl ? cl : ""; *p; p++) {
            if (*p == '\\' || *p == ',' || *p == ';')
                g_string_append_c(line, '\\');
            g_string_append_c(line, *p);
        }
        g_free(cl);
    }
    g_strfreev(lines);
    kw_vcard_line(out, line->str);
    g_string_free(line, TRUE);
}

/* ---- "Label:  value" lines ----------------------------------------------------- */

struct kw_fields {
    GPtrArray *labels, *values, *colors;
};

kw_fields_t *kw_fields_new(void)
{
    kw_fields_t *f = g_new0(kw_fields_t, 1);
    f->labels = g_ptr_array_new_with_free_func(g_free);
    f->values = g_ptr_array_new_with_free_func(g_free);
    f->colors = g_ptr_array_new();
    return f;
}

void kw_fields_add(kw_fields_t *f, const char *label, char *value, const char *color)
{
    g_ptr_array_add(f->labels, g_strdup(label));
    g_ptr_array_add(f->values, kw_cli_clean(value ? value : ""));
    g_ptr_array_add(f->colors, (gpointer) color);
    g_free(value);
}

void kw_fields_print(kw_fields_t *f, const kw_cli_t *cli)
{
    size_t width = 0;
    for (guint i = 0; i < f->labels->len; i++)
        width = MAX(width, kw_cli_display_width(g_ptr_array_index(f->labels, i)));
    for (guint i = 0; i < f->labels->len; i++) {
        const char *label = g_ptr_array_index(f->labels, i), *color = g_ptr_array_index(f->colors, i);
        /* long values (the reason, a note) wrap under themselves */
        char *value = kw_cli_wrap(g_ptr_array_index(f->values, i), cli ? cli->width : 0, width + 2);
        fputs(label, stdout);
        for (size_t k = kw_cli_display_width(label); k < width + 2; k++)
            fputc(' ', stdout);
        if (color && cli && cli->color)
            printf("\033[%sm%s\033[0m\n", color, value);
        else
            printf("%s\n", value);
        g_free(value);
    }
    g_ptr_array_free(f->labels, TRUE);
    g_ptr_array_free(f->values, TRUE);
    g_ptr_array_free(f->colors, TRUE);
    g_free(f);
}

/* ---- tables ---------------------------------------------------------------- */

struct kw_table {
    int        ncols;
    GPtrArray *rows;   /* char ** (ncols cells, sanitised) ; row[ncols] = colour */
    size_t    *min;    /* per column: shrinkable down to this width, 0 = never */
    int       *order;  /* per column: shrink order (lower first) */
    int        detail; /* a column that moves to a line of its own when narrow, or -1 */
    size_t     detail_min;
    int       *drop;   /* per column: 1 = left out when still too wide (in `order`) */
};

kw_table_t *kw_table_new(int ncols, const char *const *headers)
{
    kw_table_t *t = g_new0(kw_table_t, 1);
    t->ncols = ncols;
    t->rows = g_ptr_array_new();
    t->min = g_new0(size_t, (gsize) ncols);
    t->order = g_new0(int, (gsize) ncols);
    t->detail = -1;
    t->drop = g_new0(int, (gsize) ncols);
    kw_table_add_row(t, NULL, headers);
    return t;
}

void kw_table_optional(kw_table_t *t, int col, int order)
{
    if (col >= 0 && col < t->ncols) {
        t->drop[col] = 1;
        t->order[col] = order;
    }
}

void kw_table_detail(kw_table_t *t, int col, size_t min_inline)
{
    if (col >= 0 && col < t->ncols) {
        t->detail = col;
        t->detail_min = min_inline;
    }
}

void kw_table_shrink(kw_table_t *t, int col, size_t min_width, int order)
{
    if (col < 0 || col >= t->ncols)
        return;
    t->min[col] = min_width ? min_width : 1;
    t->order[col] = order;
}

void kw_table_add_row(kw_table_t *t, const char *color, const char *const *cells)
{
    char **row = g_new0(char *, (gsize)t->ncols + 2);
    for (int i = 0; i < t->ncols; i++) {
        char *clean = kw_sanitize_for_display(cells[i] ? cells[i] : "");
        row[i] = g_strdup(clean ? clean : "");
        kw_free(clean);
    }
    row[t->ncols] = g_strdup(color);
    g_ptr_array_add(t->rows, row);
}

char *kw_cli_truncate(const char *s, size_t width)
{
    size_t w = 0, keep;
    const char *p = s;
    char *out;

    if (kw_cli_display_width(s) <= width)
        return g_strdup(s);
    if (width == 0)
        return g_strdup("");
    /* the longest start that leaves a column for the ellipsis */
    while (*p) {
        size_t cw, len;
        if ((unsigned char) *p < 0x80) { /* ASCII (cells are sanitised): one column */
            cw = 1;
            len = 1;
        } else {
            gunichar c = g_utf8_get_char(p);
            cw = g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
            len = (size_t) (g_utf8_next_char(p) - p);
        }
        if (w + cw > width - 1)
            break;
        w += cw;
        p += len;
    }
    keep = (size_t) (p - s);
    while (keep && s[keep - 1] == ' ') /* no dangling space before the ellipsis */
        keep--;
    out = g_malloc(keep + sizeof "…");
    memcpy(out, s, keep);
    memcpy(out + keep, "…", sizeof "…");
    return out;
}

char *kw_cli_wrap(const char *s, size_t width, size_t indent)
{
    GString *out = g_string_new(NULL);
    char **words = g_strsplit(s ? s : "", " ", -1);
    size_t col = indent; /* the caller has printed `indent` columns (a label) */
    int line_empty = 1;

    for (char **w = words; *w; w++) {
        size_t ww = kw_cli_display_width(*w);
        if (!**w)
            continue;
        if (!line_empty && width > 0 && col + 1 + ww > width) {
            g_string_append_c(out, '\n');
            for (size_t k = 0; k < indent; k++)
                g_string_append_c(out, ' ');
            col = indent;
        } else if (!line_empty) {
            g_string_append_c(out, ' ');
            col++;
        }
        g_string_append(out, *w);
        col += ww;
        line_empty = 0;
    }
    g_strfreev(words);
    return g_string_free(out, FALSE);
}

size_t kw_cli_display_width(const char *s)
{
    size_t w = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        if ((unsigned char)*p < 0x80) { /* ASCII: one column each (the cells are sanitised) */
            w++;
            continue;
        }
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iszerowidth(c))
            continue;
        w += g_unichar_iswide(c) ? 2 : 1;
    }
    return w;
}

void kw_table_print(kw_table_t *t, const kw_cli_t *cli, FILE *out, int tsv)
{
    size_t *width = g_new0(size_t, (gsize)t->ncols);
    gboolean *dropped = g_new0(gboolean, (gsize)t->ncols);
    int detail = -1;

    if (tsv) {
        for (guint r = 0; r < t->rows->len; r++) {
            char **row = g_ptr_array_index(t->rows, r);
            for (int i = 0; i < t->ncols; i++) {
                g_strdelimit(row[i], "\t\n\r", ' ');
                fprintf(out, "%s%s", i ? "\t" : "", row[i]);
            }
            fputc('\n', out);
        }
        g_free(width);
        g_free(dropped);
        return;
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);
        for (int i = 0; i < t->ncols; i++)
            width[i] = MAX(width[i], kw_cli_display_width(row[i]));
    }
    /* Too wide for the terminal: the detail column moves to lines of its
     * own when it would get less than its minimum inline; then the columns
     * give way in their order: a shrinkable one down to its minimum, an
     * optional one entirely. */
    if (cli && cli->width > 0) {
        size_t total = 0;
        gboolean *done_col = g_new0(gboolean, (gsize) t->ncols);
        for (int i = 0; i < t->ncols; i++)
            total += width[i] + (i + 1 < t->ncols ? 2 : 0);
        if (t->detail >= 0 && total > cli->width) {
            size_t others = total - width[t->detail] - (t->detail + 1 < t->ncols ? 2 : 0);
            size_t floor = 0;
            for (int i = 0; i < t->ncols; i++)
                if (i != t->detail && t->min[i] && width[i] > t->min[i])
                    floor += width[i] - t->min[i]; /* what the others could give */
            if (others + 2 + t->detail_min > cli->width + floor) {
                detail = t->detail;
                total = others;
                if (detail == t->ncols - 1 && detail > 0)
                    total -= 2; /* the gap before it goes too */
            }
        }
        while (total > cli->width) {
            int best = -1;
            for (int i = 0; i < t->ncols; i++) {
                if (i == detail || done_col[i] || !(t->drop[i] || (t->min[i] && width[i] > t->min[i])))
                    continue;
                if (best < 0 || t->order[i] < t->order[best])
                    best = i;
            }
            if (best < 0)
                break;
            done_col[best] = TRUE;
            if (t->drop[best]) {
                total -= width[best] + 2;
                width[best] = 0;
                dropped[best] = TRUE;
            } else {
                size_t cut = MIN(total - cli->width, width[best] - t->min[best]);
                width[best] -= cut;
                total -= cut;
            }
        }
        /* a column left out may have freed more than needed: the shortened
         * ones get it back */
        for (int i = 0; i < t->ncols && total < cli->width; i++) {
            size_t natural = 0, grow;
            if (i == detail || dropped[i] || !t->min[i])
                continue;
            for (guint r = 0; r < t->rows->len; r++)
                natural = MAX(natural, kw_cli_display_width(((char **) g_ptr_array_index(t->rows, r))[i]));
            grow = MIN(natural - MIN(natural, width[i]), cli->width - total);
            width[i] += grow;
            total += grow;
        }
        g_free(done_col);
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);
        const char *color = row[t->ncols];
        int use_color = cli && cli->color && (color || r == 0);
        int last = t->ncols - 1;
        if (use_color)
            fprintf(out, "\033[%sm", r == 0 ? "1" : color);
        while (last > 0 && (last == detail || dropped[last]))
            last--;
        for (int i = 0; i < t->ncols; i++) {
            char *cell;
            size_t w;
            if (i == detail || dropped[i])
                continue;
            cell = kw_cli_truncate(row[i], width[i]);
            w = kw_cli_display_width(cell);
            fputs(cell, out);
            g_free(cell);
            if (i < last)
                for (size_t k = w; k < width[i] + 2; k++)
                    fputc(' ', out);
        }
        if (use_color)
            fputs("\033[0m", out);
        fputc('\n', out);
        if (detail >= 0 && r > 0 && *row[detail]) {
            char *cell = kw_cli_truncate(row[detail], cli->width > 8 ? cli->width - 4 : 4);
            fprintf(out, "    %s\n", cell);
            g_free(cell);
        }
    }
    g_free(width);
    g_free(dropped);
}

void kw_table_free(kw_table_t *t)
{
    if (!t)
        return;
    for (guint r = 0; r < t->rows->len; r++)
        g_strfreev(g_ptr_array_index(t->rows, r));
    g_ptr_array_free(t->rows, TRUE);
    g_free(t->min);
    g_free(t->order);
    g_free(t->drop);
    g_free(t);
}
