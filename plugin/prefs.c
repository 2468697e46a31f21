/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prefs.c — Configuration → Preferences → Plugins → Keep warm: clawsrc's
 * [KeepWarm] through a PrefParam table, and the settings that live in the
 * store read and written through the library (see kw_prefs.h). */
#include "kw_plugin.h"
#include "kw_prefs.h"

#include <string.h>

#include "defs.h"
#include "utils.h"
#include "log.h"
#include "prefs_gtk.h"
#include "prefs_common.h"
#include "prefs_account.h"
#include "account.h"
#include "gtkutils.h"
#include "alertpanel.h"

#define PREFS_BLOCK_NAME "KeepWarm"

KwPrefs kw_prefs;

static PrefParam param[] = {
    {"sync_interval", "30", &kw_prefs.sync_interval_min, P_INT, NULL, NULL, NULL},
    {"tracked_accounts", "", &kw_prefs.tracked_accounts, P_STRING, NULL, NULL, NULL},
    {"panel_enabled", "TRUE", &kw_prefs.panel_enabled, P_BOOL, NULL, NULL, NULL},
    {"panel_position", "-1", &kw_prefs.panel_position, P_INT, NULL, NULL, NULL},
    {"keepwarm_path", "", &kw_prefs.keepwarm_path, P_STRING, NULL, NULL, NULL},
    {"store_path", "", &kw_prefs.store_path, P_STRING, NULL, NULL, NULL},
    {"ca_file", "", &kw_prefs.ca_file, P_STRING, NULL, NULL, NULL},
    {"sync_deadline", "900", &kw_prefs.sync_deadline_s, P_INT, NULL, NULL, NULL},
    {NULL, NULL, NULL, P_OTHER, NULL, NULL, NULL}
};

/* Keys of earlier versions whose settings now live in the store. Read once,
 * moved into the store, and written back to clawsrc only while something
 * could not be moved yet. */
static struct {
    int   default_cadence;    /* 0: absent */
    char *extra_identities;
    char *own_domains;
    int   no_colleagues;
    char *ignored_domains;    /* what the store did not know yet */
} L;

enum { OLD_CADENCE, OLD_IDENTITIES, OLD_OWN_DOMAINS, OLD_NO_COLLEAGUES, OLD_IGNORED, OLD_N };

static PrefParam old_param[] = {
    [OLD_CADENCE] = {"default_cadence", "0", &L.default_cadence, P_INT, NULL, NULL, NULL},
    [OLD_IDENTITIES] = {"extra_identities", "", &L.extra_identities, P_STRING, NULL, NULL, NULL},
    [OLD_OWN_DOMAINS] = {"own_domains", "", &L.own_domains, P_STRING, NULL, NULL, NULL},
    [OLD_NO_COLLEAGUES] = {"no_colleagues", "FALSE", &L.no_colleagues, P_BOOL, NULL, NULL, NULL},
    [OLD_IGNORED] = {"ignored_domains", "", &L.ignored_domains, P_STRING, NULL, NULL, NULL},
    [OLD_N] = {NULL, NULL, NULL, P_OTHER, NULL, NULL, NULL}
};

static gboolean old_pending(int which)
{
    switch (which) {
    case OLD_CADENCE:       return L.default_cadence > 0;
    case OLD_IDENTITIES:    return L.extra_identities && *L.extra_identities;
    case OLD_OWN_DOMAINS:
    case OLD_NO_COLLEAGUES: return (L.own_domains && *L.own_domains) || L.no_colleagues;
    case OLD_IGNORED:       return L.ignored_domains && *L.ignored_domains;
    default:                return FALSE;
    }
}

typedef struct {
    PrefsPage     page;
    GtkWidget    *interval;
    GtkWidget    *cadence;
    GtkWidget    *panel;
    GtkListStore *accounts;
    GtkWidget    *identities;
    GtkWidget    *own_domains;
    GtkWidget    *no_colleagues;
    /* the store's settings as the page showed them; only what the user
     * changed is written back */
    gboolean      store_read;     /* FALSE: unreadable, the fields are off */
    int           cadence_shown;
    char         *others_shown;   /* the text view's text */
    char         *own_shown;
    gboolean      none_shown;
    char         *tracked_shown;  /* the tracked_accounts setting at opening */
} KwPrefsPage;

static KwPrefsPage page;
static gboolean registered;
static void (*on_saved)(void);

enum { ACC_TRACKED, ACC_ID, ACC_LABEL, ACC_N };

/* ---- accounts ----------------------------------------------------------- */

/* `list`: the tracked_accounts setting ("" = every IMAP account). */
static gboolean tracked_in(const char *list, const PrefsAccount *ac)
{
    if (!list || !*list)
        return TRUE;  /* default: every IMAP account */
    char **ids = g_strsplit_set(list, ", ", -1);
    gboolean found = FALSE;
    for (char **p = ids; *p && !found; p++)
        if (**p && atoi(*p) == ac->account_id)
            found = TRUE;
    g_strfreev(ids);
    return found;
}

gboolean kw_prefs_account_tracked(const PrefsAccount *ac)
{
    return tracked_in(kw_prefs.tracked_accounts, ac);
}

const char *kw_prefs_account_name(const PrefsAccount *ac)
{
    return ac->account_name ? ac->account_name : ac->recv_server;
}

/* An account Keep warm reads: IMAP, ticked, with a server. */
static gboolean account_read(const PrefsAccount *ac)
{
    return ac->protocol == A_IMAP4 && ac->recv_server && kw_prefs_account_tracked(ac);
}

/* ---- clawsrc -------------------------------------------------------------- */

void kw_prefs_save(void)
{
    char *rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    PrefFile *pfile = prefs_write_open(rcpath);
    g_free(rcpath);
    if (!pfile || prefs_set_block_label(pfile, PREFS_BLOCK_NAME) < 0)
        return;
    PrefParam pending[OLD_N + 1];
    int n = 0;
    for (int i = 0; i < OLD_N; i++)
        if (old_pending(i))
            pending[n++] = old_param[i];
    pending[n] = old_param[OLD_N];
    if (prefs_write_param(param, pfile->fp) < 0 || prefs_write_param(pending, pfile->fp) < 0) {
        g_warning("Keep warm: failed to write the configuration");
        prefs_file_close_revert(pfile);
        return;
    }
    if (fprintf(pfile->fp, "\n") < 0)
        prefs_file_close_revert(pfile);
    else
        prefs_file_close(pfile);
}

/* ---- settings of earlier versions into the store -------------------------- */

static void note(const char *fmt, const char *what, const char *why)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    char *text = g_strdup_printf(fmt, what, why ? why : "");
#pragma GCC diagnostic pop
    log_message(LOG_PROTOCOL, "%s\n", text);
    g_free(text);
}

static void set_string(char **slot, char *value)
{
    g_free(*slot);
    *slot = value;
}

/* Each part either moved (its key is cleared), was refused for good (a note
 * in the log; cleared too: nothing could ever use it), or stays for the
 * next try (the store failed, or does not know a domain yet). */
static void migrate_into(kw_store_t *store)
{
    char *err = NULL;
    kw_status_t st;

    if (old_pending(OLD_CADENCE)) {
        int stored = 0;
        st = kw_store_get_default_cadence(store, &stored, &err);
        /* the store's own setting (the command's `config`) wins */
        if (st == KW_OK && stored == 0 && L.default_cadence != KW_DEFAULT_CADENCE_DAYS)
            st = kw_store_set_default_cadence(store, L.default_cadence, &err);
        if (st == KW_ERR_USAGE) {
            char *days = g_strdup_printf("%d", L.default_cadence);
            note(_("Keep warm: the default rhythm of %s days of an earlier version was not kept: %s"),
                 days, err);
            g_free(days);
        }
        if (st == KW_OK || st == KW_ERR_USAGE)
            L.default_cadence = 0;
        g_clear_pointer(&err, kw_free);
    }

    if (old_pending(OLD_IDENTITIES)) {
        char **items = kwv_split_list(L.extra_identities);
        gboolean any = FALSE;
        st = KW_OK;
        for (GList *l = account_get_list(); l && (st == KW_OK || st == KW_ERR_USAGE); l = l->next) {
            PrefsAccount *ac = l->data;
            if (!account_read(ac))
                continue;
            any = TRUE;
            for (char **p = items; *p; p++) {
                st = kw_store_add_identity(store, kw_prefs_account_name(ac), *p, &err);
                if (st == KW_ERR_USAGE)
                    note(_("Keep warm: “%s” of your other addresses is not an e-mail address and was not kept (%s)"),
                         *p, err);
                g_clear_pointer(&err, kw_free);
                if (st != KW_OK && st != KW_ERR_USAGE)
                    break;
            }
        }
        /* no account to give them to yet: keep them */
        if (any && (st == KW_OK || st == KW_ERR_USAGE))
            set_string(&L.extra_identities, g_strdup(""));
        g_strfreev(items);
    }

    if (old_pending(OLD_OWN_DOMAINS)) {
        char **stored = NULL;
        st = kw_store_get_own_domains(store, &stored, &err);
        if (st == KW_OK && !stored) {  /* the default: take the old setting */
            char **items = kwv_split_list(L.own_domains);
            const char *none[] = { NULL };
            st = kw_store_set_own_domains(store, L.no_colleagues ? none : (const char *const *)items, &err);
            if (st == KW_ERR_USAGE)
                note(_("Keep warm: your company's domains “%s” of an earlier version were not kept: %s"),
                     L.own_domains, err);
            g_strfreev(items);
        }
        if (st == KW_OK || st == KW_ERR_USAGE) {
            set_string(&L.own_domains, g_strdup(""));
            L.no_colleagues = FALSE;
        }
        kw_strv_free(stored);
        g_clear_pointer(&err, kw_free);
    }

    if (old_pending(OLD_IGNORED)) {
        char **items = kwv_split_list(L.ignored_domains);
        GPtrArray *left = g_ptr_array_new();
        for (char **p = items; *p; p++) {
            st = kw_ignore(store, *p, &err);
            if (st == KW_ERR_NOT_FOUND) {
                /* A free-mail domain is no organisation: its people are
                 * ignored one by one. Any other domain may still come. */
                char *probe = g_strconcat("x@", *p, NULL);
                char *org = kw_org_for_address(probe);
                if (org && strchr(org, '@'))
                    note(_("Keep warm: %s is a free-mail domain, whose people are each their own relationship; ignore them one by one in the panel (%s)"),
                         *p, err);
                else
                    g_ptr_array_add(left, *p);
                kw_free(org);
                g_free(probe);
            } else if (st == KW_ERR_USAGE) {
                note(_("Keep warm: “%s” of the domains never to show is not a domain and was not kept (%s)"),
                     *p, err);
            } else if (st != KW_OK) {
                g_ptr_array_add(left, *p);
            }
            g_clear_pointer(&err, kw_free);
        }
        g_ptr_array_add(left, NULL);
        set_string(&L.ignored_domains, g_strjoinv(", ", (char **)left->pdata));
        g_ptr_array_free(left, TRUE);
        g_strfreev(items);
    }
}

static gboolean any_pending(void)
{
    for (int i = 0; i < OLD_N; i++)
        if (old_pending(i))
            return TRUE;
    return FALSE;
}

static void migrate(gboolean report)
{
    if (!any_pending())
        return;
    char *before = g_strdup_printf("%d|%s|%s|%d|%s", L.default_cadence, L.extra_identities,
                                   L.own_domains, L.no_colleagues, L.ignored_domains);
    char *error = NULL;
    kw_store_t *store = kw_plugin_store_open(TRUE, &error);
    if (store) {
        migrate_into(store);
        kw_store_close(store);
        kw_plugin_model_drop();
    } else if (report && error) {
        kw_plugin_set_status(error, TRUE);
    }
    g_free(error);
    char *after = g_strdup_printf("%d|%s|%s|%d|%s", L.default_cadence, L.extra_identities,
                                  L.own_domains, L.no_colleagues, L.ignored_domains);
    if (strcmp(before, after) != 0)
        kw_prefs_save();
    g_free(before);
    g_free(after);
}

void kw_prefs_migrate(void)
{
    migrate(TRUE);
}

void kw_prefs_retry(void)
{
    migrate(FALSE);
}

/* ---- the page ----------------------------------------------------------- */

static char *text_view_get(GtkWidget *tv)
{
    GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv));
    GtkTextIter a, b;
    gtk_text_buffer_get_bounds(buf, &a, &b);
    return gtk_text_buffer_get_text(buf, &a, &b, FALSE);
}

/* A list as the page shows it: one entry per line. (transfer full) */
static char *lines_of(char *const *items)
{
    return items ? g_strjoinv("\n", (char **)items) : g_strdup("");
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a text view, each trimmed and lower-cased, sorted, one per
 * line: for "did the user change it?" (transfer full) */
static char *canonical(const char *text)
{
    char **items = kwv_split_list(text);
    for (char **p = items; *p; p++) {
        char *low = g_utf8_strdown(*p, -1);
        g_free(*p);
        *p = low;
    }
    qsort(items, g_strv_length(items), sizeof *items, compare_strings);
    char *joined = g_strjoinv("\n", items);
    g_strfreev(items);
    return joined;
}

static gboolean changed(const char *shown, GtkWidget *tv)
{
    char *now = text_view_get(tv);
    char *a = canonical(shown), *b = canonical(now);
    gboolean differ = strcmp(a, b) != 0;
    g_free(a);
    g_free(b);
    g_free(now);
    return differ;
}

static GtkWidget *text_box(GtkWidget *vbox, const char *title, const char *name, const char *value,
                           const char *tip)
{
    GtkWidget *frame;
    GtkWidget *inner = gtkut_get_options_frame(vbox, &frame, title);
    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(sw), GTK_SHADOW_IN);
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), 60);
    GtkWidget *tv = gtk_text_view_new();
    gtk_widget_set_name(tv, name);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv)), value, -1);
    gtk_container_add(GTK_CONTAINER(sw), tv);
    gtk_box_pack_start(GTK_BOX(inner), sw, TRUE, TRUE, 0);
    gtk_widget_set_tooltip_text(tv, tip);
    return tv;
}

static void account_toggled(GtkCellRendererToggle *r, gchar *path, gpointer d)
{
    GtkTreeIter it;
    if (!gtk_tree_model_get_iter_from_string(GTK_TREE_MODEL(page.accounts), &it, path))
        return;
    gboolean on;
    gtk_tree_model_get(GTK_TREE_MODEL(page.accounts), &it, ACC_TRACKED, &on, -1);
    gtk_list_store_set(page.accounts, &it, ACC_TRACKED, !on, -1);
}

static GtkWidget *spin_row(GtkWidget *box, const char *before, const char *after, int lo, int hi,
                           int value, const char *name)
{
    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(before), FALSE, FALSE, 0);
    GtkWidget *spin = gtk_spin_button_new_with_range(lo, hi, 1);
    gtk_widget_set_name(spin, name);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(spin), value);
    gtk_box_pack_start(GTK_BOX(hbox), spin, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(after), FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);
    return spin;
}

/* What the store says about the user: the default rhythm, the other
 * addresses of the accounts Keep warm reads (each account's own address
 * left out), the company's domains. No store yet: the defaults. FALSE with
 * *error when the store cannot be read. */
static gboolean read_store(int *cadence, char **others, char ***own, char **error)
{
    char *err = NULL;
    kw_store_t *store = kw_plugin_store_open(FALSE, error);
    GPtrArray *seen = NULL;
    int stored = 0;
    *cadence = KW_DEFAULT_CADENCE_DAYS;
    *others = g_strdup("");
    *own = NULL;
    if (!store)
        return *error == NULL;
    if (kw_store_get_default_cadence(store, &stored, &err) != KW_OK ||
        kw_store_get_own_domains(store, own, &err) != KW_OK)
        goto fail;
    if (stored > 0)
        *cadence = stored;
    seen = g_ptr_array_new_with_free_func(g_free);
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        kw_identity_list_t *ids = NULL;
        if (!account_read(ac))
            continue;
        kw_status_t st = kw_store_identities(store, kw_prefs_account_name(ac), &ids, &err);
        if (st == KW_ERR_NOT_FOUND) {  /* never synced */
            g_clear_pointer(&err, kw_free);
            continue;
        }
        if (st != KW_OK)
            goto fail;
        char *mine = ac->address ? kw_normalize_email(ac->address, -1) : NULL;
        for (size_t i = 0; i < ids->count; i++) {
            const char *a = ids->items[i].address;
            gboolean dup = g_strcmp0(a, mine) == 0;
            for (guint j = 0; !dup && j < seen->len; j++)
                dup = strcmp(seen->pdata[j], a) == 0;
            if (!dup)
                g_ptr_array_add(seen, g_strdup(a));
        }
        kw_free(mine);
        kw_identity_list_free(ids);
    }
    g_ptr_array_sort(seen, (GCompareFunc)g_strcmp0);
    g_ptr_array_add(seen, NULL);
    g_free(*others);
    *others = lines_of((char **)seen->pdata);
    g_ptr_array_free(seen, TRUE);
    return TRUE;
fail:
    if (seen)
        g_ptr_array_free(seen, TRUE);
    *error = g_strdup_printf(_("Keep warm: could not read the store: %s"), err ? err : "?");
    kw_free(err);
    kw_strv_free(*own);
    *own = NULL;
    return FALSE;
}

static void create_widget(PrefsPage *p, GtkWindow *window, gpointer data)
{
    GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
    gtk_widget_set_name(vbox, "keepwarm-prefs");
    gtk_container_set_border_width(GTK_CONTAINER(vbox), 8);
    GtkWidget *frame;
    int cadence;
    char *others = NULL, **own = NULL, *error = NULL;

    page.store_read = read_store(&cadence, &others, &own, &error);
    if (error) {
        GtkWidget *label = gtk_label_new(error);
        gtk_widget_set_name(label, "keepwarm-prefs-error");
        gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
        gtk_label_set_xalign(GTK_LABEL(label), 0.0);
        gtk_box_pack_start(GTK_BOX(vbox), label, FALSE, FALSE, 0);
        g_free(error);
    }
    page.cadence_shown = cadence;
    page.none_shown = own && !own[0];
    g_free(page.tracked_shown);
    page.tracked_shown = g_strdup(kw_prefs.tracked_accounts);
    g_free(page.others_shown);
    page.others_shown = others;
    g_free(page.own_shown);
    page.own_shown = lines_of(own);
    kw_strv_free(own);

    GtkWidget *sync = gtkut_get_options_frame(vbox, &frame, _("Reading mail"));
    page.interval = spin_row(sync, _("Read new mail headers every"), _("minutes (0: only at start-up)"),
                             0, 1440, kw_prefs.sync_interval_min, "keepwarm-sync-interval");
    page.cadence = spin_row(sync, _("When a relationship has little history, expect contact every"),
                            _("days"), 1, 3650, cadence, "keepwarm-default-cadence");

    GtkWidget *acc = gtkut_get_options_frame(vbox, &frame, _("Accounts to read (IMAP)"));
    page.accounts = gtk_list_store_new(ACC_N, G_TYPE_BOOLEAN, G_TYPE_INT, G_TYPE_STRING);
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        if (ac->protocol != A_IMAP4)
            continue;
        char *label = g_strdup_printf("%s <%s>", ac->account_name ? ac->account_name : "",
                                      ac->address ? ac->address : "");
        gtk_list_store_insert_with_values(page.accounts, NULL, -1, ACC_TRACKED,
                                          kw_prefs_account_tracked(ac), ACC_ID, ac->account_id,
                                          ACC_LABEL, label, -1);
        g_free(label);
    }
    GtkWidget *tv = gtk_tree_view_new_with_model(GTK_TREE_MODEL(page.accounts));
    gtk_widget_set_name(tv, "keepwarm-accounts");
    gtk_tree_view_set_headers_visible(GTK_TREE_VIEW(tv), FALSE);
    GtkCellRenderer *tr = gtk_cell_renderer_toggle_new();
    g_signal_connect(tr, "toggled", G_CALLBACK(account_toggled), NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(tv),
        gtk_tree_view_column_new_with_attributes("", tr, "active", ACC_TRACKED, NULL));
    gtk_tree_view_append_column(GTK_TREE_VIEW(tv),
        gtk_tree_view_column_new_with_attributes("", gtk_cell_renderer_text_new(), "text", ACC_LABEL, NULL));
    gtk_box_pack_start(GTK_BOX(acc), tv, FALSE, FALSE, 0);

    page.identities = text_box(vbox, _("Your other addresses (one per line)"), "keepwarm-other-addresses",
                               page.others_shown, _("Mail from these addresses counts as written by you."));
    page.own_domains = text_box(vbox, _("Your company's domains (one per line)"), "keepwarm-own-domains",
                                page.own_shown,
                                _("People at these domains, and at the domains of your own addresses, are colleagues: never relationships."));
    page.no_colleagues = gtk_check_button_new_with_label(_("Nobody is a colleague (everyone in these mailboxes writes from one company)"));
    gtk_widget_set_name(page.no_colleagues, "keepwarm-no-colleagues");
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(page.no_colleagues), page.none_shown);
    gtk_box_pack_start(GTK_BOX(vbox), page.no_colleagues, FALSE, FALSE, 0);
    GtkWidget *ignore = gtk_label_new(_("To hide a company or a person for good, right-click it in the Keep warm panel and choose Ignore."));
    gtk_label_set_line_wrap(GTK_LABEL(ignore), TRUE);
    gtk_label_set_xalign(GTK_LABEL(ignore), 0.0);
    gtk_box_pack_start(GTK_BOX(vbox), ignore, FALSE, FALSE, 0);
    /* the store's settings stay as they are when the page could not read them */
    gtk_widget_set_sensitive(page.cadence, page.store_read);
    gtk_widget_set_sensitive(page.identities, page.store_read);
    gtk_widget_set_sensitive(page.own_domains, page.store_read);
    gtk_widget_set_sensitive(page.no_colleagues, page.store_read);

    GtkWidget *view = gtkut_get_options_frame(vbox, &frame, _("Display"));
    page.panel = gtk_check_button_new_with_label(_("Show the Keep warm panel under the folder list"));
    gtk_widget_set_name(page.panel, "keepwarm-panel-enabled");
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(page.panel), kw_prefs.panel_enabled);
    gtk_box_pack_start(GTK_BOX(view), page.panel, FALSE, FALSE, 0);

    gtk_widget_show_all(vbox);
    page.page.widget = vbox;
}

static void destroy_widget(PrefsPage *p)
{
    if (page.accounts) {
        g_object_unref(page.accounts);
        page.accounts = NULL;
    }
    g_clear_pointer(&page.others_shown, g_free);
    g_clear_pointer(&page.own_shown, g_free);
    g_clear_pointer(&page.tracked_shown, g_free);
}

/* The addresses of a text view that are addresses; the others are named in
 * *refused (g_free) or left NULL. (transfer none items: the g_strfreev'd
 * `items` own them) */
static GPtrArray *addresses_of(char **items, char **refused)
{
    GPtrArray *good = g_ptr_array_new();
    GString *bad = NULL;
    for (char **p = items; *p; p++) {
        char *norm = kw_normalize_email(*p, -1);
        if (norm) {
            g_ptr_array_add(good, *p);
        } else {
            bad = bad ? g_string_append(bad, ", ") : g_string_new(NULL);
            g_string_append(bad, *p);
        }
        kw_free(norm);
    }
    *refused = bad ? g_string_free(bad, FALSE) : NULL;
    return good;
}

/* Each account Keep warm reads gets exactly its own address plus the
 * page's other addresses (removing one there forgets it, and its mail is
 * inbound again at once) — when the list changed. When it did not, an
 * account ticked only now gets the addresses added, and keeps any it had. */
static kw_status_t save_identities(kw_store_t *store, gboolean list_changed, char **error)
{
    char *text = text_view_get(page.identities);
    char **items = kwv_split_list(text);
    char *refused = NULL;
    GPtrArray *others = addresses_of(items, &refused);
    kw_status_t st = KW_OK;

    if (refused) {
        alertpanel_error(_("Keep warm: these are not e-mail addresses and were not used: %s"), refused);
        g_free(refused);
    }
    for (GList *l = account_get_list(); l && st == KW_OK; l = l->next) {
        PrefsAccount *ac = l->data;
        if (!account_read(ac))
            continue;
        if (!list_changed) {
            if (tracked_in(page.tracked_shown, ac))
                continue;
            for (guint i = 0; i < others->len && st == KW_OK; i++)
                st = kw_store_add_identity(store, kw_prefs_account_name(ac), others->pdata[i], error);
            continue;
        }
        GPtrArray *ids = g_ptr_array_new();
        if (ac->address && *ac->address)
            g_ptr_array_add(ids, ac->address);
        for (guint i = 0; i < others->len; i++)
            g_ptr_array_add(ids, others->pdata[i]);
        g_ptr_array_add(ids, NULL);
        st = kw_store_set_identities(store, kw_prefs_account_name(ac), (const char *const *)ids->pdata,
                                     error);
        g_ptr_array_free(ids, TRUE);
    }
    g_ptr_array_free(others, TRUE);
    g_strfreev(items);
    g_free(text);
    return st;
}

static kw_status_t save_own_domains(kw_store_t *store, char **error)
{
    char *text = text_view_get(page.own_domains);
    char **items = kwv_split_list(text);
    const char *none[] = { NULL };
    gboolean nobody = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(page.no_colleagues));
    /* nobody: an empty list; no entry: back to the default */
    kw_status_t st = kw_store_set_own_domains(store, nobody ? none : items[0] ? (const char *const *)items : NULL,
                                              error);
    if (st == KW_ERR_USAGE) {
        alertpanel_error(_("Keep warm: your company's domains were not changed: %s"), *error ? *error : "");
        g_clear_pointer(error, kw_free);
        st = KW_OK;
    }
    g_strfreev(items);
    g_free(text);
    return st;
}

/* Write what the user changed of the store's settings. */
static void save_store_settings(void)
{
    int cadence = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(page.cadence));
    gboolean cadence_changed = cadence != page.cadence_shown;
    gboolean ids_changed = changed(page.others_shown, page.identities);
    gboolean tracked_changed = g_strcmp0(page.tracked_shown, kw_prefs.tracked_accounts) != 0;
    gboolean own_changed = changed(page.own_shown, page.own_domains) ||
        gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(page.no_colleagues)) != page.none_shown;
    char *error = NULL;
    kw_status_t st = KW_OK;

    if (!page.store_read || !(cadence_changed || ids_changed || tracked_changed || own_changed))
        return;
    kw_store_t *store = kw_plugin_store_open(TRUE, &error);
    if (!store)
        goto done;
    if (cadence_changed)
        st = kw_store_set_default_cadence(store, cadence, &error);
    if (st == KW_OK && (ids_changed || tracked_changed))
        st = save_identities(store, ids_changed, &error);
    if (st == KW_OK && own_changed)
        st = save_own_domains(store, &error);
    kw_store_close(store);
    kw_plugin_model_drop();
done:
    if (error) {
        char *msg = g_strdup_printf(_("Keep warm: could not save the settings: %s"), error);
        kw_plugin_set_status(msg, TRUE);
        g_free(msg);
        kw_free(error);
    }
}

static void save_page(PrefsPage *p)
{
    kw_prefs.sync_interval_min = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(page.interval));
    kw_prefs.panel_enabled = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(page.panel));

    GString *ids = g_string_new(NULL);
    gboolean all = TRUE;
    GtkTreeIter it;
    gboolean valid = gtk_tree_model_get_iter_first(GTK_TREE_MODEL(page.accounts), &it);
    for (; valid; valid = gtk_tree_model_iter_next(GTK_TREE_MODEL(page.accounts), &it)) {
        gboolean on;
        int id;
        gtk_tree_model_get(GTK_TREE_MODEL(page.accounts), &it, ACC_TRACKED, &on, ACC_ID, &id, -1);
        if (on)
            g_string_append_printf(ids, "%s%d", ids->len ? "," : "", id);
        else
            all = FALSE;
    }
    g_free(kw_prefs.tracked_accounts);
    /* all ticked: keep "" so that accounts added later are tracked too;
     * none ticked: "0" (no account has id 0) */
    kw_prefs.tracked_accounts = all ? g_strdup("") : ids->len ? g_strdup(ids->str) : g_strdup("0");
    g_string_free(ids, TRUE);

    kw_prefs_save();
    save_store_settings();
    if (on_saved)
        on_saved();
}

void kw_prefs_init(void (*saved)(void))
{
    static char *path[3];
    if (registered)
        return;
    on_saved = saved;
    /* "Plugins" is Claws' own word: use its translation */
    path[0] = (char *)g_dgettext("claws-mail", "Plugins");
    path[1] = _(KW_PLUGIN_NAME);
    path[2] = NULL;

    prefs_set_default(param);
    prefs_set_default(old_param);
    char *rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    prefs_read_config(param, PREFS_BLOCK_NAME, rcpath, NULL);
    prefs_read_config(old_param, PREFS_BLOCK_NAME, rcpath, NULL);
    g_free(rcpath);

    memset(&page, 0, sizeof page);
    page.page.path = path;
    page.page.create_widget = create_widget;
    page.page.destroy_widget = destroy_widget;
    page.page.save_page = save_page;
    page.page.weight = 40.0;
    prefs_gtk_register_page((PrefsPage *)&page);
    registered = TRUE;
}

void kw_prefs_done(void)
{
    if (!registered)
        return;
    /* keep the divider position the user chose */
    kw_prefs_save();
    prefs_gtk_unregister_page((PrefsPage *)&page);
    registered = FALSE;
    on_saved = NULL;
    prefs_free(param);
    prefs_free(old_param);
}
