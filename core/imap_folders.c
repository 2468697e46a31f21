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

const char *kw_folder_special_from_name(const char *display, char delim)
{
    static const char *const uses[] = { "Sent", "Trash", "Junk", "Drafts", "Queue" };
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
    for (size_t i = 0; i < G_N_ELEMENTS(special_use_names) && !found; i++) {
        const char *line = special_use_names[i], *colon = strchr(line, ':');
        char *entry;
        if (!colon)
            continue;
        entry = name_key(colon + 1);
        if (strcmp(lower, entry) == 0 || strcmp(full, entry) == 0) {
            for (size_t u = 0; u < G_N_ELEMENTS(uses); u++)
                if (strlen(uses[u]) == (size_t)(colon - line) && strncmp(line, uses[u], colon - line) == 0)
                    found = uses[u];
        }
        g_free(entry);
    }
    g_free(lower);
    g_free(full);
    return found;
}

static const char *special_from_flags(struct mailimap_mbx_list_flags *flags, int *noselect)
{
    static const char *const known[] = { "Sent", "Trash", "Junk", "Drafts", "All", "Archive",
                                         "Flagged", "Important" };
    const char *special = NULL;
    clistiter *it;

    *noselect = 0;
    if (!flags)
        return NULL;
    if (flags->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
        flags->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
        *noselect = 1;
    for (it = clist_begin(flags->mbf_oflags); it; it = clist_next(it)) {
        struct mailimap_mbx_list_oflag *of = clist_content(it);
        if (of->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT || !of->of_flag_ext)
            continue;
        if (g_ascii_strcasecmp(of->of_flag_ext, "NonExistent") == 0 ||
            g_ascii_strcasecmp(of->of_flag_ext, "Noselect") == 0)
            *noselect = 1;
        for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
            if (g_ascii_strcasecmp(of->of_flag_ext, known[i]) == 0)
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

kw_status_t kw_folders_list(kw_session_t *session, const kw_sync_options_t *o,
                            kw_sync_progress_t *progress, GPtrArray **out, char **error)
{
    clist *list = NULL;
    GPtrArray *folders;
    GHashTable *flagged;
    int r;

    *out = NULL;
    r = mailimap_list(session->imap, "", "*", &list);
    kw_session_activity(session);
    if (r != MAILIMAP_NO_ERROR)
        return kw_session_fail(session, r, "listing folders", error);

    folders = g_ptr_array_new_with_free_func(folder_state_free);
    /* Which special uses the server flags itself (SPECIAL-USE): only the
     * others are guessed from folder names. */
    flagged = g_hash_table_new(g_str_hash, g_str_equal);
    for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
        struct mailimap_mailbox_list *mb = clist_content(it);
        int noselect;
        const char *sp = special_from_flags(mb->mb_flag, &noselect);
        if (sp)
            g_hash_table_add(flagged, (gpointer)sp);
    }
    for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
        struct mailimap_mailbox_list *mb = clist_content(it);
        const char *special;
        int noselect;
        kw_folder_state_t *f;

        if (!mb->mb_name || !*mb->mb_name)
            continue;
        if (strchr(mb->mb_name, '\r') || strchr(mb->mb_name, '\n')) {
            kw_sync_warn(progress, NULL, 0, "skipping a folder whose name contains a line break");
            continue;
        }
        special = special_from_flags(mb->mb_flag, &noselect);
        if (noselect)
            continue;
        f = g_new0(kw_folder_state_t, 1);
        f->raw_name = g_strdup(g_ascii_strcasecmp(mb->mb_name, "INBOX") == 0 ? "INBOX" : mb->mb_name);
        f->display_name = kw_folder_display_name(f->raw_name);
        if (!special) {
            /* Claws' Queue folder has no special use anywhere; "Sent" etc.
             * count by name unless the server flags another folder so. */
            const char *by_name = kw_folder_special_from_name(f->display_name, mb->mb_delimiter);
            if (by_name && !g_hash_table_contains(flagged, by_name))
                special = by_name;
        }
        f->special = g_strdup(special);
        f->is_sent = special && strcmp(special, "Sent") == 0;
        g_ptr_array_add(folders, f);
    }
    mailimap_list_result_free(list);
    g_hash_table_destroy(flagged);
    filter(folders, o);
    *out = folders;
    return KW_OK;
}
