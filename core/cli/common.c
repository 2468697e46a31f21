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
        return "check the user name and password (or password_cmd) of this account";
    case KW_ERR_TLS:
        return "the server's certificate or TLS setup was not accepted; for a private CA "
               "use --ca-file (see 'man keepwarm', TROUBLESHOOTING)";
    case KW_ERR_INSECURE:
        return "use --tls=implicit (port 993) or --tls=starttls (port 143)";
    case KW_ERR_NETWORK:
        return "check the network and the server address; the next sync resumes where this one stopped";
    case KW_ERR_SERVER:
        return "the server misbehaved; try again later, and report it if it persists";
    case KW_ERR_STORE_CORRUPT:
        return "keepwarm did not modify the file; move it aside and sync again to rebuild it";
    case KW_ERR_STORE_TOO_NEW:
        return "install a newer keepwarm";
    case KW_ERR_STORE:
        return "check free disk space and permissions of the database directory";
    case KW_ERR_BUSY:
        return "wait for the running sync to finish";
    case KW_ERR_NOMEM:
        return "the server sent more data than keepwarm accepts";
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
    fprintf(stderr, "keepwarm %s: %s\nTry 'keepwarm %s --help'.\n", cmd, msg, cmd);
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
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Database file (default: $XDG_DATA_HOME/keepwarm/keepwarm.db)", "PATH" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/keepwarm/config)", "PATH" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    char *prgname = g_strdup_printf("keepwarm %s", cmd);
    int rc = 0;

    g_set_prgname(prgname);
    g_free(prgname);
    ctx = g_option_context_new(params);
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
    GDateTime *dt;
    char *s;
    if (t == 0)
        return NULL;
    dt = g_date_time_new_from_unix_utc(t);
    if (!dt)
        return NULL;
    s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(dt);
    return s;
}

char *kw_cli_relative_days(int64_t t, int64_t as_of)
{
    int64_t days;
    if (t == 0)
        return g_strdup("never");
    days = (as_of - t) / 86400;
    if (as_of < t)
        days = -((t - as_of + 86399) / 86400);
    if (days == 0)
        return g_strdup("today");
    if (days == 1)
        return g_strdup("yesterday");
    if (days == -1)
        return g_strdup("tomorrow");
    if (days < 0)
        return g_strdup_printf("in %" G_GINT64_FORMAT " days", -days);
    return g_strdup_printf("%" G_GINT64_FORMAT " days ago", days);
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

void kw_json_time(GString *out, int64_t t)
{
    char *iso = kw_cli_iso_time(t);
    kw_json_string(out, iso);
    g_free(iso);
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

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
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
            width[i] = MAX(width[i], display_width(row[i]));
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = g_ptr_array_index(t->rows, r);
        const char *color = row[t->ncols];
        int use_color = cli && cli->color && (color || r == 0);
        if (use_color)
            fprintf(out, "\033[%sm", r == 0 ? "1" : color);
        for (int i = 0; i < t->ncols; i++) {
            size_t w = display_width(row[i]);
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
