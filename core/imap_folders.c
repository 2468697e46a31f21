/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_folders.c — LIST, special uses and the folder filter (see imap_folders.h). */
#include <string.h>

#include "imap_folders.h"

/* "Use: name" lines (core/data/special-use-names.txt). */
static const char *const special_use_names[] = {
#include "special-use-names.inc"
};

/* Lower-case, "_", "-" and "." as spaces, trimmed (transfer full). */
static char *name_key(const char *s)
{
    return g_strstrip(g_strdelimit(g_utf8_strdown(s, -1), "_-.", ' '));
}

typedef struct {
    const char *use; /* "Sent", ... */
    char       *key; /* the name as name_key() makes it */
} special_name_t;

/* The table, keyed once per process (never freed: it lives as long as the
 * code that uses it). */
static gpointer special_names_once(gpointer data)
{
    static const char *const uses[] = { "Sent", "Trash", "Junk", "Drafts", "Queue" };
    special_name_t *t = g_new0(special_name_t, G_N_ELEMENTS(special_use_names) + 1);
    size_t n = 0;
    (void)data;
    for (size_t i = 0; i < G_N_ELEMENTS(special_use_names); i++) {
        const char *line = special_use_names[i], *colon = strchr(line, ':');
        for (size_t u = 0; colon && u < G_N_ELEMENTS(uses); u++)
            if (strlen(uses[u]) == (size_t)(colon - line) && strncmp(line, uses[u], (size_t)(colon - line)) == 0) {
                t[n].use = uses[u];
                t[n].key = name_key(colon + 1);
                n++;
            }
    }
    return t;
}

const char *kw_folder_special_from_name(const char *display, char delim)
{
    static GOnce once = G_ONCE_INIT;
    const special_name_t *table = g_once(&once, special_names_once, NULL);
    const char *leaf = display;
    const char *found = NULL;
    char *lower, *full;

    if (delim) {
        const char *p = strrchr(display, delim);
        if (p)
            leaf = p + 1;
    }
    lower = name_key(leaf);
    full = name_key(display);
    for (const special_name_t *e = table; e->use && !found; e++)
        if (strcmp(lower, e->key) == 0 || strcmp(full, e->key) == 0)
            found = e->use;
    g_free(lower);
    g_free(full);
    return found;
}

/* The special use a LIST response's attributes name, and whether the
 * folder cannot be opened (\Noselect, \NonExistent). */
static const char *special_from_flags(char **flags, int *noselect)
{
    static const char *const known[] = { "Sent", "Trash", "Junk", "Drafts", "All", "Archive",
                                         "Flagged", "Important" };
    const char *special = NULL;

    *noselect = 0;
    for (; flags && *flags; flags++) {
        const char *f = *flags;
        if (*f != '\\')
            continue;
        f++;
        if (g_ascii_strcasecmp(f, "NonExistent") == 0 || g_ascii_strcasecmp(f, "Noselect") == 0)
            *noselect = 1;
        for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
            if (g_ascii_strcasecmp(f, known[i]) == 0)
                special = known[i];
    }
    return special;
}

/* Modified UTF-7 (RFC 3501 5.1.3) to UTF-8 via glibc's UTF-7-IMAP converter;
 * names that do not decode are shown as sanitised raw bytes. Folders are
 * always keyed by their raw name (two raw names can decode alike). */
char *kw_folder_display_name(const char *raw)
{
    char *utf8 = NULL, *clean;
    if (strchr(raw, '&'))
        utf8 = g_convert(raw, -1, "UTF-8", "UTF-7-IMAP", NULL, NULL, NULL);
    if (!utf8)
        utf8 = g_utf8_make_valid(raw, -1);
    clean = kw_sanitize_for_display(utf8);
    g_free(utf8);
    return clean;
}

static void folder_state_free(gpointer p)
{
    kw_folder_state_t *f = p;
    g_free(f->raw_name);
    g_free(f->display_name);
    g_free(f->special);
    g_free(f);
}

static int matches_any(const char *const *patterns, const char *name)
{
    for (; patterns && *patterns; patterns++)
        if (g_pattern_match_simple(*patterns, name))
            return 1;
    return 0;
}

/* Skip Trash/Junk/Drafts/Queue and what the user's patterns leave out. */
static void filter(GPtrArray *folders, const kw_sync_options_t *o)
{
    for (guint i = 0; i < folders->len;) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        int skip = 0;
        if (f->special && (!strcmp(f->special, "Trash") || !strcmp(f->special, "Junk") ||
                           !strcmp(f->special, "Drafts") || !strcmp(f->special, "Queue")))
            skip = 1;
        if (o->include && !matches_any(o->include, f->display_name))
            skip = 1;
        if (matches_any(o->exclude, f->display_name))
            skip = 1;
        if (matches_any(o->include, f->display_name))
            skip = 0; /* an explicit include wins over the default skips */
        if (skip)
            g_ptr_array_remove_index(folders, i);
        else
            i++;
    }
}

/* ---- LIST and STATUS responses ------------------------------------------------ */

typedef struct {
    char    *raw;      /* the name as sent (INBOX normalised) */
    char    delim;
    char   **flags;    /* attributes, e.g. "\\Sent" (NULL-terminated) */
} listed_t;

typedef struct {
    uint32_t messages, uidnext, uidvalidity;
    unsigned have;     /* STATUS_* bits */
} status_t;

enum { HAVE_MESSAGES = 1, HAVE_UIDNEXT = 2, HAVE_UIDVALIDITY = 4 };

typedef struct {
    GPtrArray  *listed;      /* listed_t* in the server's order */
    GHashTable *status;      /* raw name -> status_t* */
    GString    *scratch;
    kw_sync_progress_t *progress;
} list_ctx_t;

static void listed_free(gpointer p)
{
    listed_t *l = p;
    g_free(l->raw);
    g_strfreev(l->flags);
    g_free(l);
}

static char *inbox_normalised(const char *name)
{
    return g_strdup(g_ascii_strcasecmp(name, "INBOX") == 0 ? "INBOX" : name);
}

/* "* LIST (\HasNoChildren \Sent) "/" "Sent Items"" (response without "* LIST "). */
static int parse_list(list_ctx_t *lc, kw_imap_cursor_t *c)
{
    GPtrArray *flags = g_ptr_array_new_with_free_func(g_free);
    listed_t *l;
    char delim = 0;
    int r;

    kw_imap_skip_spaces(c);
    if (c->pos >= c->len || c->s[c->pos] != '(')
        goto bad;
    c->pos++;
    for (;;) {
        size_t start;
        kw_imap_skip_spaces(c);
        if (c->pos >= c->len)
            goto bad;
        if (c->s[c->pos] == ')') {
            c->pos++;
            break;
        }
        start = c->pos;
        while (c->pos < c->len && c->s[c->pos] != ' ' && c->s[c->pos] != ')')
            c->pos++;
        g_ptr_array_add(flags, g_strndup(c->s + start, c->pos - start));
    }
    kw_imap_skip_spaces(c);
    r = kw_imap_read_astring(c, lc->scratch);
    if (r < 0)
        goto bad;
    if (r == 0 && lc->scratch->len == 1)
        delim = lc->scratch->str[0];
    kw_imap_skip_spaces(c);
    if (kw_imap_read_astring(c, lc->scratch) != 0)
        goto bad;
    g_ptr_array_add(flags, NULL);
    l = g_new0(listed_t, 1);
    l->raw = inbox_normalised(lc->scratch->str);
    l->delim = delim;
    l->flags = (char **)g_ptr_array_free(flags, FALSE);
    /* Names with NUL bytes cannot be sent back: leave them out. */
    if (strlen(l->raw) != lc->scratch->len) {
        listed_free(l);
        return 0;
    }
    g_ptr_array_add(lc->listed, l);
    return 0;
bad:
    g_ptr_array_free(flags, TRUE);
    return -1;
}

/* "* STATUS name (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 5)" (without "* STATUS "). */
static int parse_status(list_ctx_t *lc, kw_imap_cursor_t *c)
{
    status_t *st;

    kw_imap_skip_spaces(c);
    if (kw_imap_read_astring(c, lc->scratch) != 0)
        return -1;
    kw_imap_skip_spaces(c);
    if (c->pos >= c->len || c->s[c->pos] != '(')
        return -1;
    c->pos++;
    st = g_new0(status_t, 1);
    for (;;) {
        size_t start;
        uint64_t v;
        kw_imap_skip_spaces(c);
        if (c->pos >= c->len) {
            g_free(st);
            return -1;
        }
        if (c->s[c->pos] == ')')
            break;
        start = c->pos;
        while (c->pos < c->len && g_ascii_isalnum(c->s[c->pos]))
            c->pos++;
        if (c->pos == start) {
            g_free(st);
            return -1;
        }
        const char *name = c->s + start;
        size_t n = c->pos - start;
        kw_imap_skip_spaces(c);
        if (kw_imap_read_number(c, &v) < 0) {
            /* an attribute we did not ask for, with a non-numeric value */
            if (kw_imap_skip_value(c, 0) < 0) {
                g_free(st);
                return -1;
            }
            continue;
        }
        if (v > UINT32_MAX)
            continue;
        if (n == 8 && g_ascii_strncasecmp(name, "MESSAGES", 8) == 0) {
            st->messages = (uint32_t)v;
            st->have |= HAVE_MESSAGES;
        } else if (n == 7 && g_ascii_strncasecmp(name, "UIDNEXT", 7) == 0) {
            st->uidnext = (uint32_t)v;
            st->have |= HAVE_UIDNEXT;
        } else if (n == 11 && g_ascii_strncasecmp(name, "UIDVALIDITY", 11) == 0) {
            st->uidvalidity = (uint32_t)v;
            st->have |= HAVE_UIDVALIDITY;
        }
    }
    g_hash_table_replace(lc->status, inbox_normalised(lc->scratch->str), st);
    return 0;
}

static int keyword(kw_imap_cursor_t *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos >= n + 1 && g_ascii_strncasecmp(c->s + c->pos, word, n) == 0 &&
        c->s[c->pos + n] == ' ') {
        c->pos += n + 1;
        return 1;
    }
    return 0;
}

/* Every response of LIST (and of the STATUS commands or the STATUS return
 * option): LIST and STATUS lines are collected, the rest ignored. A line
 * that cannot be read is skipped with a warning (the folder is then read
 * the slow way, or not listed). */
static int on_list_response(const char *resp, size_t len, void *data)
{
    list_ctx_t *lc = data;
    kw_imap_cursor_t c = { resp, 0, len };
    int r = 0;

    if (len < 2 || resp[0] != '*' || resp[1] != ' ')
        return 0;
    c.pos = 2;
    if (keyword(&c, "LIST"))
        r = parse_list(lc, &c);
    else if (keyword(&c, "STATUS"))
        r = parse_status(lc, &c);
    if (r < 0) {
        char *raw = g_strndup(resp, MIN(len, 200));
        char *clean = kw_sanitize_for_display(raw);
        kw_sync_warn(lc->progress, NULL, 0, "ignored a response the server sent that keepwarm cannot read: %s",
                     clean);
        g_free(clean);
        g_free(raw);
    }
    return 0;
}

/* Whether `name` can be sent as a quoted string (7-bit, no CR/LF/NUL). */
static int quotable(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p >= 0x80 || *p == '\r' || *p == '\n')
            return 0;
    return *name != '\0';
}

static void append_quoted(GString *out, const char *name)
{
    g_string_append_c(out, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

#define STATUS_WINDOW 64
#define STATUS_ITEMS "(MESSAGES UIDNEXT UIDVALIDITY)"

/* STATUS for every folder without one yet, pipelined in windows (one round
 * trip per window instead of one per folder). A folder the server refuses
 * keeps no status: it is then opened directly and skipped with a warning if
 * that fails too. Names that need a literal are left to the per-folder path. */
static kw_status_t pipelined_status(kw_session_t *session, list_ctx_t *lc, GPtrArray *folders, char **error)
{
    GString *cmds = g_string_new(NULL);
    kw_status_t st = KW_OK;
    guint i = 0;

    while (i < folders->len && st == KW_OK) {
        char tag[32];
        kw_fetch_result_t res;
        int n = 0;
        g_string_truncate(cmds, 0);
        for (; i < folders->len && n < STATUS_WINDOW; i++) {
            kw_folder_state_t *f = g_ptr_array_index(folders, i);
            if (f->has_status || !quotable(f->raw_name))
                continue;
            kw_session_next_tag(session, tag, sizeof tag);
            g_string_append_printf(cmds, "%s STATUS ", tag);
            append_quoted(cmds, f->raw_name);
            g_string_append(cmds, " " STATUS_ITEMS "\r\n");
            n++;
        }
        if (n == 0)
            break;
        /* Each command's own tagged NO/BAD goes to the callback like any
         * other response; only the last tag ends the exchange. */
        st = kw_session_exchange(session, cmds->str, tag, on_list_response, lc, &res, "reading folder status",
                                 error);
        if (st == KW_ERR_SERVER && (res == KW_FETCH_DONE_NO || res == KW_FETCH_DONE_BAD))
            st = KW_OK; /* the last folder was refused: it goes the slow way */
    }
    g_string_free(cmds, TRUE);
    return st;
}

static void apply_status(list_ctx_t *lc, GPtrArray *folders)
{
    for (guint i = 0; i < folders->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        status_t *st = f->has_status ? NULL : g_hash_table_lookup(lc->status, f->raw_name);
        if (!st || (st->have & (HAVE_UIDNEXT | HAVE_UIDVALIDITY | HAVE_MESSAGES)) !=
                       (HAVE_UIDNEXT | HAVE_UIDVALIDITY | HAVE_MESSAGES))
            continue;
        f->has_status = 1;
        f->st_messages = st->messages;
        f->st_uidnext = st->uidnext;
        f->st_uidvalidity = st->uidvalidity;
    }
}

kw_status_t kw_folders_list(kw_session_t *session, const kw_sync_options_t *o,
                            kw_sync_progress_t *progress, GPtrArray **out, char **error)
{
    list_ctx_t lc;
    GPtrArray *folders = NULL;
    GHashTable *flagged;
    kw_fetch_result_t res;
    kw_status_t st;
    char tag[32], *cmd;
    int list_status = kw_session_has_capability(session, "LIST-STATUS");

    *out = NULL;
    memset(&lc, 0, sizeof lc);
    lc.listed = g_ptr_array_new_with_free_func(listed_free);
    lc.status = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lc.scratch = g_string_new(NULL);
    lc.progress = progress;

    /* RFC 5819: the status of every folder comes with the list, in one
     * round trip (RETURN needs LIST-EXTENDED, which LIST-STATUS implies). */
    kw_session_next_tag(session, tag, sizeof tag);
    if (list_status)
        cmd = g_strdup_printf("%s LIST \"\" \"*\" RETURN (%sSTATUS " STATUS_ITEMS ")\r\n", tag,
                              kw_session_has_capability(session, "SPECIAL-USE") ? "SPECIAL-USE " : "");
    else
        cmd = g_strdup_printf("%s LIST \"\" \"*\"\r\n", tag);
    st = kw_session_exchange(session, cmd, tag, on_list_response, &lc, &res, "listing folders", error);
    g_free(cmd);
    if (st == KW_ERR_SERVER && list_status && res == KW_FETCH_DONE_BAD) {
        /* Advertised but refused: the plain LIST then. */
        g_ptr_array_set_size(lc.listed, 0);
        g_hash_table_remove_all(lc.status);
        kw_session_next_tag(session, tag, sizeof tag);
        cmd = g_strdup_printf("%s LIST \"\" \"*\"\r\n", tag);
        if (error) {
            g_free(*error);
            *error = NULL;
        }
        st = kw_session_exchange(session, cmd, tag, on_list_response, &lc, &res, "listing folders", error);
        g_free(cmd);
    }
    if (st != KW_OK)
        goto done;

    folders = g_ptr_array_new_with_free_func(folder_state_free);
    /* Which special uses the server flags itself (SPECIAL-USE): only the
     * others are guessed from folder names. */
    flagged = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < lc.listed->len; i++) {
        listed_t *l = g_ptr_array_index(lc.listed, i);
        int noselect;
        const char *sp = special_from_flags(l->flags, &noselect);
        if (sp)
            g_hash_table_add(flagged, (gpointer)sp);
    }
    for (guint i = 0; i < lc.listed->len; i++) {
        listed_t *l = g_ptr_array_index(lc.listed, i);
        const char *special;
        int noselect;
        kw_folder_state_t *f;

        if (!*l->raw)
            continue;
        if (strchr(l->raw, '\r') || strchr(l->raw, '\n')) {
            kw_sync_warn(progress, NULL, 0, "skipping a folder whose name contains a line break");
            continue;
        }
        special = special_from_flags(l->flags, &noselect);
        if (noselect)
            continue;
        f = g_new0(kw_folder_state_t, 1);
        f->raw_name = g_strdup(l->raw);
        f->display_name = kw_folder_display_name(f->raw_name);
        if (!special) {
            /* Claws' Queue folder has no special use anywhere; "Sent" etc.
             * count by name unless the server flags another folder so. */
            const char *by_name = kw_folder_special_from_name(f->display_name, l->delim);
            if (by_name && !g_hash_table_contains(flagged, by_name))
                special = by_name;
        }
        f->special = g_strdup(special);
        f->is_sent = special && strcmp(special, "Sent") == 0;
        g_ptr_array_add(folders, f);
    }
    g_hash_table_destroy(flagged);
    filter(folders, o);
    apply_status(&lc, folders);
    st = pipelined_status(session, &lc, folders, error);
    if (st != KW_OK)
        goto done;
    apply_status(&lc, folders);
    *out = folders;
    folders = NULL;
done:
    if (folders)
        g_ptr_array_free(folders, TRUE);
    g_ptr_array_free(lc.listed, TRUE);
    g_hash_table_destroy(lc.status);
    g_string_free(lc.scratch, TRUE);
    return st;
}
