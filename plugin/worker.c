/* SPDX-License-Identifier: GPL-3.0-or-later */
/* worker.c — background `keepwarm sync` children, one per tracked account
 * (see kw_worker.h).
 *
 * No IMAP inside Claws (libetpan's process-wide protocol log would catch our
 * LOGIN): each tracked IMAP account is synced by a child process. The
 * password is looked up on the main thread in Claws' own order, written into
 * a pipe that becomes the child's fd 3, then wiped (kw_secret_free).
 * Progress lines (`--progress=json`) are read from non-blocking pipes by
 * GLib watches and parsed by kwv_event_parse (json-glib); the run's outcome
 * is the status of its final event. Everything is plain GSources that
 * g_source_remove() cancels synchronously, so nothing can call into the
 * plugin after it is unloaded. A worker past its deadline, or alive at
 * unload/exit, is killed by PID and reaped. */
#include "kw_plugin.h"
#include "kw_prefs.h"
#include "kw_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib-unix.h>

#include "utils.h"
#include "log.h"
#include "account.h"
#include "prefs_account.h"
#include "passwordstore.h"
#include "password.h"
#include "imap.h"

typedef struct {
    int       account_id;
    char     *name;
    GPid      pid;
    GIOChannel *out, *err;
    guint     out_watch, err_watch, child_watch, deadline;
    gboolean  exited, timed_out;
    int       wait_status;
    gboolean  has_status;     /* the final event named the outcome */
    kw_status_t status;
    char     *message;        /* the final event's message */
    char     *stderr_tail;
    gboolean  again;          /* a change arrived while running: sync again */
} Worker;

static struct {
    GHashTable *running;      /* account_id -> Worker* */
    GHashTable *pending;      /* account_id -> coalescing timeout id */
    GHashTable *shown;        /* account_id -> the last problem shown (text) */
    GHashTable *last;         /* account_id -> last status + 1 */
    guint       startup_id;
    guint       interval_id;
    int         finished;
    const KwWorkerTiming    *timing;
    const KwWorkerCallbacks *cb;
} W;

static gboolean start_worker(PrefsAccount *ac, gboolean interactive);

int kw_workers_finished(void) { return W.finished; }
int kw_workers_running(void) { return W.running ? (int)g_hash_table_size(W.running) : 0; }

gboolean kw_workers_last_status(int account_id, kw_status_t *status)
{
    gpointer v = W.last ? g_hash_table_lookup(W.last, GINT_TO_POINTER(account_id)) : NULL;
    if (!v)
        return FALSE;
    *status = (kw_status_t)(GPOINTER_TO_INT(v) - 1);
    return TRUE;
}

/* Show a problem of an account once, until it changes or a run succeeds. */
static void show_problem(int account_id, const char *text, gboolean is_error)
{
    gpointer key = GINT_TO_POINTER(account_id);
    const char *prev = g_hash_table_lookup(W.shown, key);
    if (prev && !strcmp(prev, text))
        return;
    g_hash_table_insert(W.shown, key, g_strdup(text));
    kw_plugin_set_status(text, is_error);
}

static void report(Worker *w)
{
    const char *detail = w->message ? w->message : w->stderr_tail;
    char *text;
    if (w->has_status && w->status == KW_OK) {
        g_hash_table_remove(W.shown, GINT_TO_POINTER(w->account_id));
        if (g_hash_table_size(W.shown) == 0)
            kw_plugin_clear_error();
        text = g_strdup_printf(_("Keep warm: %s is up to date"), w->name);
        kw_plugin_set_status(text, FALSE);
        g_free(text);
        return;
    }
    if (w->has_status && w->status == KW_ERR_BUSY)
        return;  /* another sync (the command, cron) is doing the work */
    if (w->has_status)
        text = kwv_sync_message(w->status, w->name, detail);
    else if (w->timed_out)
        text = kwv_sync_stopped_message(KWV_STOP_TIMEOUT, 0, w->name, NULL);
    else if (WIFSIGNALED(w->wait_status))
        text = kwv_sync_stopped_message(KWV_STOP_SIGNAL, WTERMSIG(w->wait_status), w->name, detail);
    else
        text = kwv_sync_stopped_message(KWV_STOP_SILENT, WEXITSTATUS(w->wait_status), w->name, detail);
    /* some folders skipped: the rest was read, no error */
    show_problem(w->account_id, text, !(w->has_status && w->status == KW_ERR_PARTIAL));
    g_free(text);
}

static void worker_free(Worker *w)
{
    if (w->out_watch) g_source_remove(w->out_watch);
    if (w->err_watch) g_source_remove(w->err_watch);
    if (w->child_watch) g_source_remove(w->child_watch);
    if (w->deadline) g_source_remove(w->deadline);
    if (w->out) g_io_channel_unref(w->out);
    if (w->err) g_io_channel_unref(w->err);
    g_free(w->name);
    g_free(w->message);
    g_free(w->stderr_tail);
    g_free(w);
}

static void handle_line(Worker *w, char *line, gboolean is_stdout)
{
    g_strchomp(line);
    if (!*line)
        return;
    kwv_event_t ev;
    /* progress events come on stdout; anything else is the last word of
     * the command's error output, the detail of a failure */
    if (!is_stdout || !kwv_event_parse(line, &ev)) {
        if (strlen(line) > 400)
            line[400] = '\0';
        g_free(w->stderr_tail);
        w->stderr_tail = g_strdup(line);
        return;
    }
    if (ev.kind == KWV_EV_ERROR || ev.kind == KWV_EV_DONE) {
        w->has_status = ev.has_status;
        w->status = ev.status;
        g_free(w->message);
        w->message = g_strdup(ev.message);
    } else if (ev.kind == KWV_EV_WARNING && ev.message) {
        char *m = kw_sanitize_for_display(ev.message);
        log_warning(LOG_PROTOCOL, "Keep warm (%s): %s\n", w->name, m);
        kw_free(m);
    }
    char *status = kwv_event_status_text(&ev, w->name);
    if (status && ev.kind != KWV_EV_DONE)
        kw_plugin_set_status(status, FALSE);
    g_free(status);
    kwv_event_clear(&ev);
}

/* Read all complete lines available; FALSE at EOF or error. */
static gboolean drain(Worker *w, GIOChannel *ch, gboolean is_stdout)
{
    for (;;) {
        char *line = NULL;
        gsize len = 0;
        GIOStatus st = g_io_channel_read_line(ch, &line, &len, NULL, NULL);
        if (st == G_IO_STATUS_NORMAL) {
            handle_line(w, line, is_stdout);
            g_free(line);
            continue;
        }
        g_free(line);
        if (st == G_IO_STATUS_AGAIN)
            return TRUE;
        /* EOF: hand over a last line without newline, if any */
        if (st == G_IO_STATUS_EOF) {
            char *rest = NULL;
            gsize rlen = 0;
            if (g_io_channel_read_to_end(ch, &rest, &rlen, NULL) == G_IO_STATUS_NORMAL && rlen)
                handle_line(w, rest, is_stdout);
            g_free(rest);
        }
        return FALSE;
    }
}

static void finish(Worker *w);

static gboolean out_ready(GIOChannel *ch, GIOCondition cond, gpointer data)
{
    Worker *w = data;
    gboolean is_out = ch == w->out;
    if (drain(w, ch, is_out))
        return G_SOURCE_CONTINUE;
    if (is_out)
        w->out_watch = 0;
    else
        w->err_watch = 0;
    if (w->exited && !w->out_watch && !w->err_watch)
        finish(w);
    return G_SOURCE_REMOVE;
}

static void child_exited(GPid pid, gint status, gpointer data)
{
    Worker *w = data;
    w->child_watch = 0;
    w->exited = TRUE;
    w->wait_status = status;
    g_spawn_close_pid(pid);
    /* Read what is left; a grandchild holding the pipes open must not keep
     * the worker alive, so finish now whatever the pipes say. */
    if (w->out_watch && !drain(w, w->out, TRUE)) {
        g_source_remove(w->out_watch);
        w->out_watch = 0;
    }
    if (w->err_watch && !drain(w, w->err, FALSE)) {
        g_source_remove(w->err_watch);
        w->err_watch = 0;
    }
    finish(w);
}

static gboolean deadline_hit(gpointer data)
{
    Worker *w = data;
    w->deadline = 0;
    w->timed_out = TRUE;
    kill(w->pid, SIGKILL);  /* the child watch reaps it and calls finish() */
    return G_SOURCE_REMOVE;
}

static void finish(Worker *w)
{
    int id = w->account_id;
    gboolean again = w->again, completed = w->has_status;
    kw_status_t status = w->status;
    report(w);
    if (completed)
        g_hash_table_insert(W.last, GINT_TO_POINTER(id), GINT_TO_POINTER((int)status + 1));
    W.finished++;
    g_hash_table_remove(W.running, GINT_TO_POINTER(id));  /* frees w */
    if (W.cb && W.cb->finished)
        W.cb->finished(id, completed, status);
    gboolean restarted = FALSE;
    if (again && W.running) {
        PrefsAccount *ac = account_find_from_id(id);
        if (ac)
            restarted = start_worker(ac, FALSE);
    }
    /* every account of the cycle was read, none is about to run again */
    if (!restarted && W.running && g_hash_table_size(W.running) == 0 && W.cb && W.cb->cycle_done)
        W.cb->cycle_done();
}

/* The account's password, in Claws' own order (notes F4). Main thread only.
 * (transfer full: wipe and g_free) or NULL. */
static char *account_password(PrefsAccount *ac, int port, gboolean interactive)
{
    char *pw = NULL;
    if (password_get(ac->userid, ac->recv_server, "imap", (guint16)port, &pw) && pw)
        return pw;
    g_free(pw);
    pw = NULL;
    /* With a primary passphrase not yet entered this would open a modal
     * dialog; only ask when the user asked for the sync. */
    if (!primary_passphrase_is_set() || primary_passphrase_is_entered() || interactive)
        pw = passwd_store_get_account(ac->account_id, PWS_ACCOUNT_RECV);
    if (pw && *pw)
        return pw;
    g_free(pw);
    if (ac->session_passwd && *ac->session_passwd)
        return g_strdup(ac->session_passwd);
    return NULL;
}

static gboolean write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        buf += n;
        len -= (size_t)n;
    }
    return TRUE;
}

static gboolean start_worker(PrefsAccount *ac, gboolean interactive)
{
    if (!W.running || !ac || ac->protocol != A_IMAP4 || !kw_prefs_account_tracked(ac) ||
        !ac->recv_server || !ac->userid)
        return FALSE;
    if (g_hash_table_contains(W.running, GINT_TO_POINTER(ac->account_id)))
        return FALSE;
    const char *name = kw_prefs_account_name(ac);
    if (ac->imap_auth_type & IMAP_AUTH_OAUTH2) {
        char *m = g_strdup_printf(_("Keep warm: %s uses OAuth2, which Keep warm cannot use yet; it is not synced."), name);
        show_problem(ac->account_id, m, TRUE);
        g_free(m);
        return FALSE;
    }
    const char *tls = kwv_tls_arg(ac->ssl_imap, ac->recv_server);
    if (!tls) {
        char *m = g_strdup_printf(_("Keep warm: %s connects without TLS to a remote server; it is not synced. Turn on TLS in the account's settings."), name);
        show_problem(ac->account_id, m, TRUE);
        g_free(m);
        return FALSE;
    }
    int port = ac->set_imapport ? ac->imapport : (ac->ssl_imap == 1 ? 993 : 143);
    char *pw = account_password(ac, port, interactive);
    if (!pw) {
        debug_print("Keep warm: no password available for %s, not syncing\n", name);
        return FALSE;
    }

    int fds[2];
    GError *error = NULL;
    if (!g_unix_open_pipe(fds, FD_CLOEXEC, &error)) {
        kw_secret_free(pw);
        g_clear_error(&error);
        return FALSE;
    }
    /* The pipe holds 64 KiB: the whole password fits before the child runs. */
    gboolean wrote = write_all(fds[1], pw, strlen(pw));
    kw_secret_free(pw);
    close(fds[1]);
    if (!wrote) {
        close(fds[0]);
        return FALSE;
    }

    kwv_sync_args_t args = {
        .program = kw_plugin_program(), .host = ac->recv_server, .port = port, .tls = tls,
        .user = ac->userid, .account = name, .me = ac->address, .ca_file = kw_prefs.ca_file,
        .db = kw_plugin_db_path(), .password_fd = 3,
    };
    char **argv = kwv_sync_argv(&args);

    int source_fds[1] = { fds[0] };
    int target_fds[1] = { 3 };
    GPid pid = 0;
    int out_fd = -1, err_fd = -1;
    gboolean ok = g_spawn_async_with_pipes_and_fds(NULL, (const gchar *const *)argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
        -1, -1, -1, source_fds, target_fds, 1, &pid, NULL, &out_fd, &err_fd, &error);
    close(fds[0]);
    g_strfreev(argv);
    if (!ok) {
        char *m = g_strdup_printf(_("Keep warm: could not start %s: %s"), kw_plugin_program(),
                                  error ? error->message : "?");
        show_problem(ac->account_id, m, TRUE);
        g_free(m);
        g_clear_error(&error);
        return FALSE;
    }

    Worker *w = g_new0(Worker, 1);
    w->account_id = ac->account_id;
    w->name = g_strdup(name);
    w->pid = pid;
    w->out = g_io_channel_unix_new(out_fd);
    w->err = g_io_channel_unix_new(err_fd);
    GIOChannel *chs[2] = { w->out, w->err };
    for (int i = 0; i < 2; i++) {
        g_io_channel_set_close_on_unref(chs[i], TRUE);
        g_io_channel_set_encoding(chs[i], NULL, NULL);
        g_io_channel_set_flags(chs[i], G_IO_FLAG_NONBLOCK, NULL);
    }
    w->out_watch = g_io_add_watch(w->out, G_IO_IN | G_IO_HUP | G_IO_ERR, out_ready, w);
    w->err_watch = g_io_add_watch(w->err, G_IO_IN | G_IO_HUP | G_IO_ERR, out_ready, w);
    w->child_watch = g_child_watch_add(pid, child_exited, w);
    w->deadline = g_timeout_add_seconds((guint)MAX(W.timing->deadline_s, 1), deadline_hit, w);
    g_hash_table_insert(W.running, GINT_TO_POINTER(ac->account_id), w);
    char *m = g_strdup_printf(_("Keep warm: reading %s…"), name);
    kw_plugin_set_status(m, FALSE);
    g_free(m);
    return TRUE;
}

void kw_workers_sync_all(gboolean interactive)
{
    if (!W.running)
        return;
    for (GList *l = account_get_list(); l; l = l->next) {
        PrefsAccount *ac = l->data;
        Worker *w = g_hash_table_lookup(W.running, GINT_TO_POINTER(ac->account_id));
        if (w) {
            if (interactive)
                w->again = TRUE;
            continue;
        }
        start_worker(ac, interactive);
    }
}

static gboolean pending_fire(gpointer data)
{
    int id = GPOINTER_TO_INT(data);
    g_hash_table_remove(W.pending, data);
    PrefsAccount *ac = account_find_from_id(id);
    if (ac)
        start_worker(ac, FALSE);
    return G_SOURCE_REMOVE;
}

void kw_workers_account_touched(int account_id)
{
    if (!W.running)
        return;
    gpointer key = GINT_TO_POINTER(account_id);
    Worker *w = g_hash_table_lookup(W.running, key);
    if (w) {
        w->again = TRUE;  /* coalesced into one more run after this one */
        return;
    }
    if (g_hash_table_contains(W.pending, key))
        return;
    guint id = g_timeout_add_seconds((guint)MAX(W.timing->coalesce_s, 1), pending_fire, key);
    g_hash_table_insert(W.pending, key, GUINT_TO_POINTER(id));
}

static gboolean interval_fire(gpointer data)
{
    kw_workers_sync_all(FALSE);
    return G_SOURCE_CONTINUE;
}

static gboolean startup_fire(gpointer data)
{
    W.startup_id = 0;
    kw_workers_sync_all(FALSE);
    return G_SOURCE_REMOVE;
}

void kw_workers_reschedule(void)
{
    if (!W.running)
        return;
    if (W.interval_id)
        g_source_remove(W.interval_id);
    W.interval_id = 0;
    if (kw_prefs.sync_interval_min > 0)
        W.interval_id = g_timeout_add_seconds((guint)kw_prefs.sync_interval_min * 60,
                                              interval_fire, NULL);
}

static void pending_remove(gpointer data)
{
    g_source_remove(GPOINTER_TO_UINT(data));
}

void kw_workers_init(const KwWorkerTiming *timing, const KwWorkerCallbacks *callbacks)
{
    W.timing = timing;
    W.cb = callbacks;
    W.running = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)worker_free);
    W.pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_remove);
    W.shown = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    W.last = g_hash_table_new(g_direct_hash, g_direct_equal);
    W.finished = 0;
    W.startup_id = g_timeout_add_seconds((guint)MAX(timing->startup_delay_s, 1), startup_fire, NULL);
    kw_workers_reschedule();
}

void kw_workers_done(void)
{
    if (W.startup_id)
        g_source_remove(W.startup_id);
    W.startup_id = 0;
    if (W.interval_id)
        g_source_remove(W.interval_id);
    W.interval_id = 0;
    if (W.pending) {
        g_hash_table_destroy(W.pending);  /* removes the timeouts */
        W.pending = NULL;
    }
    if (W.running) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, W.running);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            Worker *w = v;
            /* Stop the watch first so GLib does not reap it behind us. The
             * store is crash-safe (one transaction per chunk), so SIGKILL
             * loses nothing that the next run will not redo. */
            if (w->child_watch) {
                g_source_remove(w->child_watch);
                w->child_watch = 0;
                kill(w->pid, SIGKILL);
                while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
                    ;
                g_spawn_close_pid(w->pid);
            }
        }
        g_hash_table_destroy(W.running);  /* worker_free removes the watches */
        W.running = NULL;
    }
    g_clear_pointer(&W.shown, g_hash_table_destroy);
    g_clear_pointer(&W.last, g_hash_table_destroy);
    W.cb = NULL;
}
