/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team.c — the team in Claws Mail (DESIGN.md, decision 13).
 *
 *  - Settings: Configuration → Preferences → Plugins → Keep warm → Team:
 *    the team server's URL, the member to log in as, whether to share, a CA
 *    file; saved in clawsrc under [KeepWarmTeam]. The password lives in
 *    Claws' password store (encrypted with the primary passphrase when the
 *    user set one), never in clawsrc.
 *  - The exchange: when every tracked account of a sync cycle was read
 *    (worker.c runs `keepwarm sync --no-team`), one child `keepwarm team
 *    sync` pushes what changed and pulls what teammates changed. PostgreSQL,
 *    like IMAP, never runs inside the Claws process; the password goes to
 *    the child on a pipe (fd 3) and is wiped here. The child is a plain
 *    GSource-watched process, killed by PID at unload.
 *  - What the user sees: the status bar says when the team was last
 *    updated (kw_team_status_get, from the store: no network here), or why
 *    not; Details lists the team's touches (kw_model_team_touches); row
 *    tooltips carry the team's last touch (view_model.c).
 * See kw_team.h: below the panel and the workers, it reports the end of an
 * exchange through a callback.
 */
#include "kw_plugin.h"
#include "kw_team.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib-unix.h>

#include "defs.h"
#include "utils.h"
#include "prefs_gtk.h"
#include "prefs_common.h"
#include "gtkutils.h"
#include "passwordstore.h"
#include "password.h"

#define TEAM_BLOCK "KeepWarmTeam"
/* Claws' password store: block "KeepWarm", id "team" */
#define PW_BLOCK "KeepWarm"
#define PW_ID "team"
/* At most one exchange per this many seconds (a coalesced sync after each
 * new mail would otherwise connect to the server every few seconds). */
#define MIN_INTERVAL_S 60
/* A child running longer is killed (its own timeout is the prefs' timeout). */
#define DEADLINE_S 300

static struct {
    char *url;
    char *member;
    int   share;
    char *ca_file;
    int   timeout_s;
} T;

static PrefParam params[] = {
    {"url", "", &T.url, P_STRING, NULL, NULL, NULL},
    {"member", "", &T.member, P_STRING, NULL, NULL, NULL},
    {"share", "FALSE", &T.share, P_BOOL, NULL, NULL, NULL},
    {"ca_file", "", &T.ca_file, P_STRING, NULL, NULL, NULL},
    {"timeout", "30", &T.timeout_s, P_INT, NULL, NULL, NULL},
    {NULL, NULL, NULL, P_OTHER, NULL, NULL, NULL}
};

/* The running exchange, if any. */
static struct {
    guint    soon;             /* a coalesced exchange after a user's action */
    GPid     pid;
    GIOChannel *out, *err;
    guint    out_watch, err_watch, child_watch, deadline;
    GString *err_text;
    gboolean timed_out;
    gint64   started;          /* monotonic, µs; 0: never */
    int      exchanges;        /* finished exchanges */
    int      last_exit;        /* -1: none yet */
    char    *last_status;      /* what the status bar said after it */
    const KwTeamCallbacks *cb;
} X = { .last_exit = -1 };

typedef struct {
    PrefsPage  page;
    GtkWidget *url, *member, *password, *share, *ca_file;
} TeamPage;

static TeamPage page;
static gboolean registered;

static gboolean configured(void)
{
    return T.url && *T.url;
}

/* ---- settings ------------------------------------------------------------ */

static void save_params(void)
{
    char *rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    PrefFile *pfile = prefs_write_open(rcpath);
    g_free(rcpath);
    if (!pfile || prefs_set_block_label(pfile, TEAM_BLOCK) < 0)
        return;
    if (prefs_write_param(params, pfile->fp) < 0 || fprintf(pfile->fp, "\n") < 0) {
        g_warning("Keep warm: failed to write the team configuration");
        prefs_file_close_revert(pfile);
        return;
    }
    prefs_file_close(pfile);
}

static GtkWidget *entry_row(GtkWidget *grid, int row, const char *label, const char *value,
                            const char *tip)
{
    GtkWidget *l = gtk_label_new(label), *e = gtk_entry_new();
    gtk_label_set_xalign(GTK_LABEL(l), 0.0);
    gtk_entry_set_text(GTK_ENTRY(e), value ? value : "");
    gtk_widget_set_hexpand(e, TRUE);
    gtk_widget_set_tooltip_text(e, tip);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), e, 1, row, 1, 1);
    return e;
}

static void create_widget(PrefsPage *p, GtkWindow *window, gpointer data)
{
    GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8), *frame, *box, *grid, *note;
    gtk_container_set_border_width(GTK_CONTAINER(vbox), 8);

    box = gtkut_get_options_frame(vbox, &frame, _("Team server (PostgreSQL)"));
    grid = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
    gtk_box_pack_start(GTK_BOX(box), grid, FALSE, FALSE, 0);
    page.url = entry_row(grid, 0, _("Server URL"), T.url,
                         _("The team's database, e.g. postgresql://db.example.com/sales. "
                           "Leave empty to keep the team out."));
    page.member = entry_row(grid, 1, _("Member"), T.member,
                            _("Your member name on the team, as the admin created it "
                              "(keepwarm team add-member); empty: the user in the URL."));
    page.password = entry_row(grid, 2, _("Password"), NULL,
                              _("Kept in Claws Mail's password store, never in a file of "
                                "Keep warm. Leave empty to keep the one saved."));
    gtk_entry_set_visibility(GTK_ENTRY(page.password), FALSE);
    gtk_entry_set_placeholder_text(GTK_ENTRY(page.password),
                                   passwd_store_has_password(PWS_PLUGIN, PW_BLOCK, PW_ID)
                                       ? _("(saved)") : "");
    page.ca_file = entry_row(grid, 3, _("CA certificates"), T.ca_file,
                             _("A PEM file with your company's CA, when the server's "
                               "certificate is not signed by a public one. The server's name "
                               "and certificate are always checked."));

    box = gtkut_get_options_frame(vbox, &frame, _("Sharing"));
    page.share = gtk_check_button_new_with_label(_("Share with the team who I am in touch with, "
                                                   "and when"));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(page.share), T.share);
    gtk_box_pack_start(GTK_BOX(box), page.share, FALSE, FALSE, 0);
    note = gtk_label_new(_("Shared: per customer and person, the last exchange, the rhythm and "
                           "the state. Never subjects, message contents, notes or the names "
                           "you gave; nothing you ignore. Without sharing you still see the "
                           "team's touches. `keepwarm team show-shared` prints exactly what is "
                           "sent."));
    gtk_label_set_line_wrap(GTK_LABEL(note), TRUE);
    gtk_label_set_xalign(GTK_LABEL(note), 0.0);
    gtk_box_pack_start(GTK_BOX(box), note, FALSE, FALSE, 0);

    gtk_widget_show_all(vbox);
    page.page.widget = vbox;
}

static void destroy_widget(PrefsPage *p)
{
}

static char *entry_text(GtkWidget *e)
{
    return g_strstrip(g_strdup(gtk_entry_get_text(GTK_ENTRY(e))));
}

static void save_page(PrefsPage *p)
{
    char *pw = entry_text(page.password);
    gboolean was = configured();

    g_free(T.url);
    T.url = entry_text(page.url);
    g_free(T.member);
    T.member = entry_text(page.member);
    g_free(T.ca_file);
    T.ca_file = entry_text(page.ca_file);
    T.share = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(page.share));
    if (*pw) {
        passwd_store_set(PWS_PLUGIN, PW_BLOCK, PW_ID, pw, FALSE);
        passwd_store_write_config();
    }
    kw_secret_free(pw);
    gtk_entry_set_text(GTK_ENTRY(page.password), "");
    save_params();
    /* a new or changed team: exchange at once (skipping the interval) */
    if (configured() || was) {
        X.started = 0;
        kw_plugin_team_cycle_done();
    }
}

/* ---- the exchange ---------------------------------------------------------- */

/* The outcome in the status bar: from the store (what the child recorded),
 * else the child's last line on stderr. */
static void show_outcome(int code)
{
    kw_store_t *store = kw_plugin_store_open(FALSE, NULL);
    kw_team_status_t *st = NULL;
    char *text = NULL;

    if (store)
        kw_team_status_get(store, &st, NULL);
    if (code == 0 && st) {
        char *when = kw_words_ago(st->last_pull ? st->last_pull : st->last_push, kw_plugin_as_of());
        text = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                           "Keep warm: team updated %s (%lld teammate)",
                                           "Keep warm: team updated %s (%lld teammates)",
                                           (gulong) st->teammates),
                               when, (long long) st->teammates);
        g_free(when);
        kw_plugin_set_status(text, FALSE);
        g_free(X.last_status);
        X.last_status = g_strdup(text);
    } else {
        const char *why = st && st->last_error ? st->last_error : NULL;
        char *tail = NULL;
        if (!why && X.err_text && X.err_text->len) {
            char **lines = g_strsplit(g_strstrip(X.err_text->str), "\n", -1);
            tail = g_strdup(lines[0] ? lines[0] : "");
            g_strfreev(lines);
            why = tail;
        }
        if (X.timed_out)
            why = _("the team server did not answer in time");
        text = st && st->pending > 0
                   ? g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                                 "Keep warm: team: %s (%lld change waits for the next time)",
                                                 "Keep warm: team: %s (%lld changes wait for the next time)",
                                                 (gulong) st->pending),
                                     why ? why : "?", (long long) st->pending)
                   : g_strdup_printf(_("Keep warm: team: %s"), why ? why : "?");
        kw_plugin_set_status(text, TRUE);
        g_free(X.last_status);
        X.last_status = g_strdup(text);
        g_free(tail);
    }
    g_free(text);
    kw_team_status_free(st);
}

static void drop_child(void)
{
    if (X.out_watch)
        g_source_remove(X.out_watch);
    if (X.err_watch)
        g_source_remove(X.err_watch);
    if (X.child_watch)
        g_source_remove(X.child_watch);
    if (X.deadline)
        g_source_remove(X.deadline);
    X.out_watch = X.err_watch = X.child_watch = X.deadline = 0;
    if (X.out)
        g_io_channel_unref(X.out);
    if (X.err)
        g_io_channel_unref(X.err);
    X.out = X.err = NULL;
    X.pid = 0;
}

/* Read what is there; keep the child's stderr (a few lines at most) for the
 * status line, drop its stdout (its JSON outcome: the store says the same).
 * FALSE at the end of the pipe. */
static gboolean drain(GIOChannel *ch)
{
    for (;;) {
        char buf[512];
        gsize n = 0;
        GIOStatus s = g_io_channel_read_chars(ch, buf, sizeof buf, &n, NULL);
        if (n && ch == X.err && X.err_text && X.err_text->len < 4096)
            g_string_append_len(X.err_text, buf, (gssize) n);
        if (s == G_IO_STATUS_AGAIN)
            return TRUE;
        if (s != G_IO_STATUS_NORMAL)
            return FALSE;
    }
}

static gboolean read_ready(GIOChannel *ch, GIOCondition cond, gpointer data)
{
    if (drain(ch))
        return G_SOURCE_CONTINUE;
    if (ch == X.out)
        X.out_watch = 0;
    else
        X.err_watch = 0;
    return G_SOURCE_REMOVE;
}

static void child_exited(GPid pid, gint status, gpointer data)
{
    int code;
    X.child_watch = 0;
    g_spawn_close_pid(pid);
    if (X.err_watch)
        drain(X.err); /* what is left in the pipe */
    code = X.timed_out ? 124 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    X.last_exit = code;
    X.exchanges++;
    drop_child();
    /* what teammates changed is in the store now: show it */
    if (X.cb && X.cb->exchanged)
        X.cb->exchanged();
    show_outcome(code);
    if (X.err_text) {
        g_string_free(X.err_text, TRUE);
        X.err_text = NULL;
    }
    X.timed_out = FALSE;
}

static gboolean deadline_hit(gpointer data)
{
    X.deadline = 0;
    X.timed_out = TRUE;
    if (X.pid > 0)
        kill(X.pid, SIGKILL); /* the child watch reaps it */
    return G_SOURCE_REMOVE;
}

/* The team password from Claws' store (transfer full: kw_secret_free), or NULL.
 * Never opens the primary passphrase dialog from a background cycle. */
static char *team_password(void)
{
    char *pw = NULL;
    if (!primary_passphrase_is_set() || primary_passphrase_is_entered())
        pw = passwd_store_get(PWS_PLUGIN, PW_BLOCK, PW_ID);
    if (pw && !*pw) {
        g_free(pw);
        pw = NULL;
    }
    return pw;
}

void kw_plugin_team_cycle_done(void)
{
    GPtrArray *argv;
    GError *error = NULL;
    char *pw, *timeout;
    int fds[2] = { -1, -1 }, out_fd = -1, err_fd = -1, source_fds[1], target_fds[1] = { 3 };
    gint64 now = g_get_monotonic_time();
    gboolean ok;

    if (!registered || !configured() || X.pid || !kw_plugin_program())
        return;
    if (X.started && now - X.started < (gint64) MIN_INTERVAL_S * G_USEC_PER_SEC)
        return;
    pw = team_password();
    if (pw) {
        gboolean wrote;
        if (!g_unix_open_pipe(fds, FD_CLOEXEC, &error)) {
            kw_secret_free(pw);
            g_clear_error(&error);
            return;
        }
        /* the pipe holds 64 KiB: the whole password fits before the child runs */
        wrote = write(fds[1], pw, strlen(pw)) == (ssize_t) strlen(pw);
        kw_secret_free(pw);
        close(fds[1]);
        if (!wrote) {
            close(fds[0]);
            return;
        }
    }
    argv = g_ptr_array_new_with_free_func(g_free);
    timeout = g_strdup_printf("--timeout=%d", T.timeout_s > 0 ? T.timeout_s : 30);
#define ADD(s) g_ptr_array_add(argv, g_strdup(s))
    ADD(kw_plugin_program());
    ADD("team");
    ADD("sync");
    ADD("--format=json");
    /* the plugin's settings only: never the command's config file */
    ADD("--config=/dev/null");
    ADD("--db");
    ADD(kw_plugin_db_path());
    ADD("--url");
    ADD(T.url);
    if (T.member && *T.member) {
        ADD("--member");
        ADD(T.member);
    }
    ADD(T.share ? "--share=yes" : "--share=no");
    if (T.ca_file && *T.ca_file) {
        ADD("--ca-file");
        ADD(T.ca_file);
    }
    ADD(timeout);
    if (fds[0] >= 0)
        ADD("--password-fd=3");
#undef ADD
    g_ptr_array_add(argv, NULL);
    g_free(timeout);
    source_fds[0] = fds[0];
    ok = g_spawn_async_with_pipes_and_fds(NULL, (const gchar *const *) argv->pdata, NULL,
                                          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                          NULL, NULL, -1, -1, -1, source_fds, target_fds,
                                          fds[0] >= 0 ? 1 : 0, &X.pid, NULL, &out_fd, &err_fd,
                                          &error);
    if (fds[0] >= 0)
        close(fds[0]);
    g_ptr_array_free(argv, TRUE);
    if (!ok) {
        char *m = g_strdup_printf(_("Keep warm: could not start %s: %s"), kw_plugin_program(),
                                  error ? error->message : "?");
        kw_plugin_set_status(m, TRUE);
        g_free(m);
        g_clear_error(&error);
        X.pid = 0;
        return;
    }
    X.started = now;
    X.err_text = g_string_new(NULL);
    X.out = g_io_channel_unix_new(out_fd);
    X.err = g_io_channel_unix_new(err_fd);
    for (int i = 0; i < 2; i++) {
        GIOChannel *ch = i ? X.err : X.out;
        g_io_channel_set_close_on_unref(ch, TRUE);
        g_io_channel_set_encoding(ch, NULL, NULL);
        g_io_channel_set_flags(ch, G_IO_FLAG_NONBLOCK, NULL);
    }
    X.out_watch = g_io_add_watch(X.out, G_IO_IN | G_IO_HUP | G_IO_ERR, read_ready, NULL);
    X.err_watch = g_io_add_watch(X.err, G_IO_IN | G_IO_HUP | G_IO_ERR, read_ready, NULL);
    X.child_watch = g_child_watch_add(X.pid, child_exited, NULL);
    X.deadline = g_timeout_add_seconds(DEADLINE_S, deadline_hit, NULL);
    kw_plugin_set_status(_("Keep warm: exchanging with the team…"), FALSE);
}

static gboolean soon_fire(gpointer data)
{
    X.soon = 0;
    X.started = 0; /* the user acted: not held back by the interval */
    kw_plugin_team_cycle_done();
    return G_SOURCE_REMOVE;
}

void kw_plugin_team_changed(void)
{
    if (!registered || !configured() || X.soon)
        return;
    /* a few actions in a row (snooze, then ignore) go out together */
    X.soon = g_timeout_add_seconds(3, soon_fire, NULL);
}

/* ---- what the user sees ----------------------------------------------------- */

void kw_plugin_team_details(GString *text, kw_model_t *model, const char *key)
{
    kw_team_touch_list_t *touches = NULL;

    if (!model || !key || kw_model_team_touches(model, key, &touches, NULL) != KW_OK)
        return;
    int64_t as_of = kw_model_as_of(model);
    if (touches->count) {
        g_string_append(text, _("The team (newest first):\n"));
        for (size_t i = 0; i < touches->count && i < 100; i++) {
            const kw_team_touch_t *t = &touches->items[i];
            char *what = kw_words_team_short(t->kind, kw_words_team_who(&t->member, t->member_id),
                                             t->time, as_of);
            char *line = g_strdup_printf("%s%s%s%s%s", what, t->person ? " — " : "",
                                         t->person ? t->person : "", t->subject ? ": " : "",
                                         t->subject ? t->subject : "");
            char *clean = kw_sanitize_for_display(line);
            g_string_append_printf(text, "  %s\n", clean ? clean : "");
            kw_free(clean);
            g_free(line);
            g_free(what);
        }
        g_string_append_c(text, '\n');
    }
    kw_team_touch_list_free(touches);
}

gboolean kw_plugin_team_configured(void) { return configured(); }
gboolean kw_plugin_team_running(void) { return X.pid != 0; }
int kw_plugin_team_exchanges(void) { return X.exchanges; }
int kw_plugin_team_last_exit(void) { return X.last_exit; }
const char *kw_plugin_team_status(void) { return X.last_status; }

/* ---- life cycle -------------------------------------------------------------- */

void kw_plugin_team_init(const KwTeamCallbacks *callbacks)
{
    static char *path[4];
    char *rcpath;

    if (registered)
        return;
    path[0] = (char *) g_dgettext("claws-mail", "Plugins");
    path[1] = _(KW_PLUGIN_NAME);
    path[2] = _("Team");
    path[3] = NULL;
    prefs_set_default(params);
    rcpath = g_strconcat(get_rc_dir(), G_DIR_SEPARATOR_S, COMMON_RC, NULL);
    prefs_read_config(params, TEAM_BLOCK, rcpath, NULL);
    g_free(rcpath);
    memset(&page, 0, sizeof page);
    page.page.path = path;
    page.page.create_widget = create_widget;
    page.page.destroy_widget = destroy_widget;
    page.page.save_page = save_page;
    page.page.weight = 39.0;
    prefs_gtk_register_page((PrefsPage *) &page);
    registered = TRUE;
    X.cb = callbacks;
    X.started = 0;
    X.exchanges = 0;
    X.last_exit = -1;
}

void kw_plugin_team_done(void)
{
    if (X.soon)
        g_source_remove(X.soon);
    X.soon = 0;
    if (X.pid) {
        /* stop the watch first so that GLib does not reap it behind us; the
         * store and the server are crash-safe: SIGKILL loses nothing */
        GPid pid = X.pid;
        if (X.child_watch)
            g_source_remove(X.child_watch);
        X.child_watch = 0;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        g_spawn_close_pid(pid);
    }
    drop_child();
    if (X.err_text) {
        g_string_free(X.err_text, TRUE);
        X.err_text = NULL;
    }
    g_clear_pointer(&X.last_status, g_free);
    X.cb = NULL;
    if (!registered)
        return;
    prefs_gtk_unregister_page((PrefsPage *) &page);
    registered = FALSE;
    prefs_free(params);
}
