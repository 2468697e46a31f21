/* prefs.c — Configuration → Preferences → Plugins → Keep warm, saved in
 * clawsrc under [KeepWarm] through a PrefParam table. */
#include "kw_plugin.h"

#include <string.h>

#include "defs.h"
#include "utils.h"
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
    {"default_cadence", "60", &kw_prefs.default_cadence_days, P_INT, NULL, NULL, NULL},
    {"tracked_accounts", "", &kw_prefs.tracked_accounts, P_STRING, NULL, NULL, NULL},
    {"extra_identities", "", &kw_prefs.extra_identities, P_STRING, NULL, NULL, NULL},
    {"ignored_domains", "", &kw_prefs.ignored_domains, P_STRING, NULL, NULL, NULL},
    {"own_domains", "", &kw_prefs.own_domains, P_STRING, NULL, NULL, NULL},
    {"no_colleagues", "FALSE", &kw_prefs.no_colleagues, P_BOOL, NULL, NULL, NULL},
    {"panel_enabled", "TRUE", &kw_prefs.panel_enabled, P_BOOL, NULL, NULL, NULL},
    {"panel_position", "-1", &kw_prefs.panel_position, P_INT, NULL, NULL, NULL},
    {"keepwarm_path", "", &kw_prefs.keepwarm_path, P_STRING, NULL, NULL, NULL},
    {"store_path", "", &kw_prefs.store_path, P_STRING, NULL, NULL, NULL},
    {"ca_file", "", &kw_prefs.ca_file, P_STRING, NULL, NULL, NULL},
    {"sync_deadline", "900", &kw_prefs.sync_deadline_s, P_INT, NULL, NULL, NULL},
    {NULL, NULL, NULL, P_OTHER, NULL, NULL, NULL}
};

typedef struct {
    PrefsPage     page;
    GtkWidget    *interval;
    GtkWidget    *cadence;
    GtkWidget    *panel;
    GtkListStore *accounts;
    GtkWidget    *identities;
    GtkWidget    *domains;
    GtkWidget    *own_domains;
    GtkWidget    *no_colleagues;
} KwPrefsPage;

static KwPrefsPage page;
static gboolean registered;
static char **ignored_cache;

enum { ACC_TRACKED, ACC_ID, ACC_LABEL, ACC_N };

/* ---- queries ------------------------------------------------------------ */

gboolean kw_prefs_account_tracked(const PrefsAccount *ac)
{
    const char *list = kw_prefs.tracked_accounts;
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

gboolean kw_prefs_domain_ignored(const char *key)
{
    if (!key)
        return FALSE;
    if (!ignored_cache)
        ignored_cache = kwv_split_list(kw_prefs.ignored_domains);
    for (char **p = ignored_cache; *p; p++) {
        size_t kl = strlen(key), dl = strlen(*p);
        /* "acme.com" hides acme.com and sub.acme.com, and people @acme.com */
        if (!g_ascii_strcasecmp(key, *p))
            return TRUE;
        if (kl > dl && (key[kl - dl - 1] == '.' || key[kl - dl - 1] == '@') &&
            !g_ascii_strcasecmp(key + kl - dl, *p))
            return TRUE;
    }
    return FALSE;
}

/* ---- save --------------------------------------------------------------- */

void kw_prefs_save(void)
{
    char *rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    PrefFile *pfile = prefs_write_open(rcpath);
    g_free(rcpath);
    if (!pfile || prefs_set_block_label(pfile, PREFS_BLOCK_NAME) < 0)
        return;
    if (prefs_write_param(param, pfile->fp) < 0) {
        g_warning("Keep warm: failed to write the configuration");
        prefs_file_close_revert(pfile);
        return;
    }
    if (fprintf(pfile->fp, "\n") < 0)
        prefs_file_close_revert(pfile);
    else
        prefs_file_close(pfile);
}

/* ---- into the store -------------------------------------------------------- */

/* Entries of a list the normaliser refuses, as one line (g_free), or NULL. */
static char *refused(char **items, int domains)
{
    GString *bad = NULL;
    for (char **p = items; *p; p++) {
        char *norm = domains ? kw_org_for_address(*p) : kw_normalize_email(*p, -1);
        if (!norm || (domains && strchr(*p, '@'))) {
            bad = bad ? g_string_append(bad, ", ") : g_string_new(NULL);
            g_string_append(bad, *p);
        }
        kw_free(norm);
    }
    return bad ? g_string_free(bad, FALSE) : NULL;
}

/* Make the store say what the page says: each tracked account's identities
 * are exactly its address plus "your other addresses" (so removing one
 * there really forgets it, and directions are recomputed at once), and the
 * own domains are the page's. Bad entries are shown, never silently used. */
void kw_prefs_apply_to_store(void)
{
    char **extra = kwv_split_list(kw_prefs.extra_identities);
    char **own = kwv_split_list(kw_prefs.own_domains);
    char *bad_ids = refused(extra, 0), *bad_domains = refused(own, 1);
    char *error = NULL;
    kw_store_t *store;

    if (bad_ids || bad_domains) {
        alertpanel_error(_("Keep warm: these are not e-mail addresses or domains and were not used: %s%s%s"),
                         bad_ids ? bad_ids : "", bad_ids && bad_domains ? ", " : "",
                         bad_domains ? bad_domains : "");
    }
    store = kw_plugin_store_open(TRUE, &error);
    if (!store)
        goto done;
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        GPtrArray *ids;
        if (ac->protocol != A_IMAP4 || !kw_prefs_account_tracked(ac) || !ac->recv_server)
            continue;
        ids = g_ptr_array_new();
        if (ac->address && *ac->address)
            g_ptr_array_add(ids, ac->address);
        for (char **p = extra; *p; p++) {
            char *norm = kw_normalize_email(*p, -1);
            if (norm)
                g_ptr_array_add(ids, *p);
            kw_free(norm);
        }
        g_ptr_array_add(ids, NULL);
        if (kw_store_set_identities(store, kw_workers_account_name(ac), (const char *const *)ids->pdata,
                                    &error) != KW_OK) {
            g_ptr_array_free(ids, TRUE);
            goto done;
        }
        g_ptr_array_free(ids, TRUE);
    }
    if (!bad_domains) {
        const char *none[] = { NULL };
        kw_store_set_own_domains(store, kw_prefs.no_colleagues ? none : own[0] ? (const char *const *)own : NULL,
                                 &error);
    }
done:
    if (error) {
        kw_plugin_set_status(error, TRUE);
        g_free(error);
    }
    kw_store_close(store);
    g_strfreev(extra);
    g_strfreev(own);
    g_free(bad_ids);
    g_free(bad_domains);
    kw_panel_refresh();
}

/* ---- the page ----------------------------------------------------------- */

static char *text_view_get(GtkWidget *tv)
{
    GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv));
    GtkTextIter a, b;
    gtk_text_buffer_get_bounds(buf, &a, &b);
    char *raw = gtk_text_buffer_get_text(buf, &a, &b, FALSE);
    /* stored on one line in clawsrc */
    char **items = kwv_split_list(raw);
    g_free(raw);
    char *joined = g_strjoinv(", ", items);
    g_strfreev(items);
    return joined;
}

static GtkWidget *text_box(GtkWidget *vbox, const char *title, const char *value, const char *tip)
{
    GtkWidget *frame;
    GtkWidget *inner = gtkut_get_options_frame(vbox, &frame, title);
    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(sw), GTK_SHADOW_IN);
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), 60);
    GtkWidget *tv = gtk_text_view_new();
    char **items = kwv_split_list(value);
    char *lines = g_strjoinv("\n", items);
    g_strfreev(items);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv)), lines, -1);
    g_free(lines);
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

static GtkWidget *spin_row(GtkWidget *box, const char *before, const char *after, int lo, int hi, int value)
{
    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(before), FALSE, FALSE, 0);
    GtkWidget *spin = gtk_spin_button_new_with_range(lo, hi, 1);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(spin), value);
    gtk_box_pack_start(GTK_BOX(hbox), spin, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), gtk_label_new(after), FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), hbox, FALSE, FALSE, 0);
    return spin;
}

static void create_widget(PrefsPage *p, GtkWindow *window, gpointer data)
{
    GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
    gtk_container_set_border_width(GTK_CONTAINER(vbox), 8);
    GtkWidget *frame;

    GtkWidget *sync = gtkut_get_options_frame(vbox, &frame, _("Reading mail"));
    page.interval = spin_row(sync, _("Read new mail headers every"), _("minutes (0: only at start-up)"),
                             0, 1440, kw_prefs.sync_interval_min);
    page.cadence = spin_row(sync, _("When a relationship has little history, expect contact every"),
                            _("days"), 1, 730, kw_prefs.default_cadence_days);

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
    gtk_tree_view_set_headers_visible(GTK_TREE_VIEW(tv), FALSE);
    GtkCellRenderer *tr = gtk_cell_renderer_toggle_new();
    g_signal_connect(tr, "toggled", G_CALLBACK(account_toggled), NULL);
    gtk_tree_view_append_column(GTK_TREE_VIEW(tv),
        gtk_tree_view_column_new_with_attributes("", tr, "active", ACC_TRACKED, NULL));
    gtk_tree_view_append_column(GTK_TREE_VIEW(tv),
        gtk_tree_view_column_new_with_attributes("", gtk_cell_renderer_text_new(), "text", ACC_LABEL, NULL));
    gtk_box_pack_start(GTK_BOX(acc), tv, FALSE, FALSE, 0);

    page.identities = text_box(vbox, _("Your other addresses (one per line)"), kw_prefs.extra_identities,
                               _("Mail from these addresses counts as written by you."));
    page.own_domains = text_box(vbox, _("Your company's domains (one per line)"), kw_prefs.own_domains,
                                _("People at these domains, and at the domains of your own addresses, are colleagues: never relationships."));
    page.no_colleagues = gtk_check_button_new_with_label(_("Nobody is a colleague (everyone in these mailboxes writes from one company)"));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(page.no_colleagues), kw_prefs.no_colleagues);
    gtk_box_pack_start(GTK_BOX(vbox), page.no_colleagues, FALSE, FALSE, 0);
    page.domains = text_box(vbox, _("Domains never to show (one per line)"), kw_prefs.ignored_domains,
                            _("Relationships with these domains are hidden from the panel and the hint bar."));

    GtkWidget *view = gtkut_get_options_frame(vbox, &frame, _("Display"));
    page.panel = gtk_check_button_new_with_label(_("Show the Keep warm panel under the folder list"));
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
}

static void save_page(PrefsPage *p)
{
    kw_prefs.sync_interval_min = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(page.interval));
    kw_prefs.default_cadence_days = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(page.cadence));
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

    g_free(kw_prefs.extra_identities);
    kw_prefs.extra_identities = text_view_get(page.identities);
    g_free(kw_prefs.ignored_domains);
    kw_prefs.ignored_domains = text_view_get(page.domains);
    g_free(kw_prefs.own_domains);
    kw_prefs.own_domains = text_view_get(page.own_domains);
    kw_prefs.no_colleagues = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(page.no_colleagues));
    g_clear_pointer(&ignored_cache, g_strfreev);

    kw_prefs_save();
    kw_prefs_apply_to_store();
    kw_workers_reschedule();
    kw_panel_apply_prefs();
}

void kw_prefs_init(void)
{
    static char *path[3];
    if (registered)
        return;
    /* "Plugins" is Claws' own word: use its translation */
    path[0] = (char *)g_dgettext("claws-mail", "Plugins");
    path[1] = _(KW_PLUGIN_NAME);
    path[2] = NULL;

    prefs_set_default(param);
    char *rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    prefs_read_config(param, PREFS_BLOCK_NAME, rcpath, NULL);
    g_free(rcpath);
    g_clear_pointer(&ignored_cache, g_strfreev);

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
    g_clear_pointer(&ignored_cache, g_strfreev);
    prefs_free(param);
}
