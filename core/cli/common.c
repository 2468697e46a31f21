/* common.c — helpers shared by the keepwarm subcommands (see cli.h). */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "cli.h"

int kw_cli_exit_code(kw_status_t status)
{
    switch (status) {
    case KW_OK:                return KW_EXIT_OK;
    case KW_ERR_USAGE:         return KW_EXIT_USAGE;
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

int kw_cli_fail(kw_status_t status, const char *message)
{
    return kw_cli_fail_hint(status, message, hint_for(status));
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
    GOptionEntry common[] = {
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("Database file (default: $XDG_DATA_HOME/keepwarm/keepwarm.db)"), N_("PATH") },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, N_("Config file (default: $XDG_CONFIG_HOME/keepwarm/config)"), N_("PATH") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    char *prgname = g_strdup_printf("keepwarm %s", cmd);
    int rc = 0;

    g_set_prgname(prgname);
    g_free(prgname);
    ctx = g_option_context_new(params);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (summary)
        g_option_context_set_summary(ctx, summary);
    if (description)
        g_option_context_set_description(ctx, description);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, common, NULL);
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

int kw_cli_parse_time(const char *text, int64_t *out)
{
    GDateTime *dt = NULL;
    GTimeZone *utc;
    int y, mo, d, h = 0, mi = 0;
    char tail;

    if (!text || !*text)
        return -1;
    if (strcmp(text, "now") == 0) {
        *out = (int64_t)time(NULL);
        return 0;
    }
    if (text[0] == '@') {
        char *end;
        long long v = g_ascii_strtoll(text + 1, &end, 10);
        if (*end || end == text + 1)
            return -1;
        *out = v;
        return 0;
    }
    utc = g_time_zone_new_utc();
    dt = g_date_time_new_from_iso8601(text, utc);
    if (!dt) {
        int n = sscanf(text, "%d-%d-%d%c", &y, &mo, &d, &tail);
        if (n == 3) {
            dt = g_date_time_new(utc, y, mo, d, 0, 0, 0);
        } else if (sscanf(text, "%d-%d-%d %d:%d%c", &y, &mo, &d, &h, &mi, &tail) == 5) {
            dt = g_date_time_new(utc, y, mo, d, h, mi, 0);
        }
    }
    g_time_zone_unref(utc);
    if (!dt)
        return -1;
    *out = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return 0;
}

int kw_cli_parse_duration(const char *text, int64_t *seconds_out)
{
    char *end;
    double v;
    int64_t unit = 86400;

    if (!text || !*text)
        return -1;
    v = g_ascii_strtod(text, &end);
    if (end == text || v <= 0)
        return -1;
    if (*end) {
        if (end[1] != '\0')
            return -1;
        switch (*end) {
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        case 'm': unit = 30 * 86400; break;
        case 'y': unit = 365 * 86400; break;
        default: return -1;
        }
    }
    *seconds_out = (int64_t)(v * (double)unit);
    return 0;
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
    member_plain(b, "source", "mail"); /* kw_source_t has only KW_SOURCE_MAIL so far */
    kw_json_member_string(b, "subject", t->subject);
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

void kw_csv_field(GString *out, const char *s, int first)
{
    char *c = kw_cli_clean(s);
    if (!first)
        g_string_append_c(out, ',');
    if (c && strpbrk(c, ",\"\r\n")) {
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
        fputs(label, stdout);
        for (size_t k = kw_cli_display_width(label); k < width + 2; k++)
            fputc(' ', stdout);
        if (color && cli && cli->color)
            printf("\033[%sm%s\033[0m\n", color, (const char *) g_ptr_array_index(f->values, i));
        else
            printf("%s\n", (const char *) g_ptr_array_index(f->values, i));
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
};

kw_table_t *kw_table_new(int ncols, const char *const *headers)
{
    kw_table_t *t = g_new0(kw_table_t, 1);
    t->ncols = ncols;
    t->rows = g_ptr_array_new();
    kw_table_add_row(t, NULL, headers);
    return t;
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
        return;
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);
        for (int i = 0; i < t->ncols; i++)
            width[i] = MAX(width[i], kw_cli_display_width(row[i]));
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);
        const char *color = row[t->ncols];
        int use_color = cli && cli->color && (color || r == 0);
        if (use_color)
            fprintf(out, "\033[%sm", r == 0 ? "1" : color);
        for (int i = 0; i < t->ncols; i++) {
            size_t w = kw_cli_display_width(row[i]);
            fputs(row[i], out);
            if (i + 1 < t->ncols)
                for (size_t k = w; k < width[i] + 2; k++)
                    fputc(' ', out);
        }
        if (use_color)
            fputs("\033[0m", out);
        fputc('\n', out);
    }
    g_free(width);
}

void kw_table_free(kw_table_t *t)
{
    if (!t)
        return;
    for (guint r = 0; r < t->rows->len; r++)
        g_strfreev(g_ptr_array_index(t->rows, r));
    g_ptr_array_free(t->rows, TRUE);
    g_free(t);
}
