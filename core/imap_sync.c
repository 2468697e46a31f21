/* SPDX-License-Identifier: GPL-3.0-or-later */
/* imap_sync.c — kw_sync_run(): one account from the IMAP server into the
 * store. The orchestration only; the parts live in
 *   imap_session.c    connect, TLS, certificate, login, error mapping
 *   imap_folders.c    LIST, special uses, which folders to read
 *   imap_pipeline.c  the streamed FETCH of a folder, batches, positions
 *   sync_store.c      the SQL of the sync
 *
 * Order of events (each step must succeed before the next):
 *   lock -> session (connect, TLS, verify, CAPABILITY, LOGIN) -> LIST ->
 *   per folder: STATUS, and only when it has new UIDs: EXAMINE + one
 *   streamed UID FETCH of the new range, committed every `chunk_size`
 *   messages together with the folder position.
 *
 * Read-only: only CAPABILITY, LOGIN/AUTHENTICATE, LIST, STATUS, EXAMINE,
 * UID FETCH (BODY.PEEK) and LOGOUT are ever sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "imap_pipeline.h"
#include "header_parse.h"
#include "imap_folders.h"
#include "imap_session.h"
#include "keepwarm.h"
#include "kw_public.h"
#include "sanitize.h"
#include "store.h"
#include "sync_progress.h"
#include "sync_store.h"

#define DEFAULT_TIMEOUT 60
#define DEFAULT_CHUNK 20000

typedef struct {
    kw_store_t              *store;
    const kw_sync_options_t *opt;
    kw_sync_report_t        *report;
    kw_sync_progress_t       progress;
    kw_session_t            *session;
    kw_sync_writer_t        *writer;
    kw_fetch_pipeline_t     *pipeline;
    int64_t                  account_id;
    int                      lock_fd;
} sync_ctx_t;

/* ---- lock ------------------------------------------------------------------ */

static kw_status_t take_lock(sync_ctx_t *c, char **error)
{
    char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, c->opt->account, -1);
    char *path;
    sum[16] = '\0';
    path = g_strdup_printf("%s.sync-%s.lock", c->store->path, sum);
    g_free(sum);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0) {
        kw_set_error(error, "cannot create lock file %s: %s", path, g_strerror(errno));
        g_free(path);
        return KW_ERR_STORE;
    }
    g_free(path);
    /* flock: released by the kernel when the holder exits or is killed. */
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        kw_set_error(error, "a sync of account '%s' is already running; try again when it has finished",
                     c->opt->account);
        close(c->lock_fd);
        c->lock_fd = -1;
        return KW_ERR_BUSY;
    }
    return KW_OK;
}

/* ---- the folders ------------------------------------------------------------------ */

/* The listing's STATUS says the folder has nothing new: no EXAMINE, no FETCH. */
static int nothing_new(const kw_folder_state_t *f)
{
    return f->has_status && f->st_uidvalidity != 0 && (int64_t)f->st_uidvalidity == f->uidvalidity &&
           (int64_t)f->st_uidnext - 1 <= f->last_uid;
}

/* Every folder: those with nothing new are done at once, the others read
 * by the fetch pipeline in one go. */
static kw_status_t sync_folders(sync_ctx_t *c, GPtrArray *folders, int *skipped, char **error)
{
    GArray *jobs = g_array_new(FALSE, FALSE, sizeof(kw_fetch_job_t));
    int synced = 0;
    kw_status_t st;

    for (guint i = 0; i < folders->len; i++) {
        kw_folder_state_t *f = g_ptr_array_index(folders, i);
        if (nothing_new(f)) {
            kw_sync_emit(&c->progress, KW_PROGRESS_FOLDER, f->display_name, (int)i + 1, 0, 0, 0, NULL);
            kw_sync_emit(&c->progress, KW_PROGRESS_FOLDER_DONE, f->display_name, (int)i + 1, 0, 0, 0, NULL);
            c->report->folders_synced++;
        } else {
            kw_fetch_job_t job = { f, (int)i + 1 };
            g_array_append_val(jobs, job);
        }
    }
    st = kw_fetch_pipeline_run(c->pipeline, jobs, &synced, skipped, error);
    c->report->folders_synced += synced;
    g_array_free(jobs, TRUE);
    return st;
}

/* ---- entry point ------------------------------------------------------------------ */

static kw_status_t check_options(const kw_sync_options_t *o, char **error)
{
    if (!o || !o->account || !*o->account) {
        kw_set_error(error, "no account name given");
        return KW_ERR_USAGE;
    }
    if (!o->host || !*o->host) {
        kw_set_error(error, "no server host given");
        return KW_ERR_USAGE;
    }
    if (!o->user || !*o->user) {
        kw_set_error(error, "no user name given");
        return KW_ERR_USAGE;
    }
    if (!o->password == !o->oauth2_token) {
        kw_set_error(error, "give exactly one of a password or an OAuth2 token");
        return KW_ERR_USAGE;
    }
    if (o->auth && g_ascii_strcasecmp(o->auth, "auto") && g_ascii_strcasecmp(o->auth, "login") &&
        g_ascii_strcasecmp(o->auth, "plain")) {
        kw_set_error(error, "unknown authentication method '%s' (auto, login or plain)", o->auth);
        return KW_ERR_USAGE;
    }
    if (o->port < 0 || o->port > 65535 || o->tls > KW_TLS_NONE) {
        kw_set_error(error, "invalid port or TLS mode");
        return KW_ERR_USAGE;
    }
    return KW_OK;
}

/* The account's identities as stored (a set of addresses, transfer full). */
static kw_status_t known_identities(sync_ctx_t *c, GHashTable **out, char **error)
{
    sqlite3_stmt *s = NULL;
    kw_status_t st;
    int rc;

    *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    st = kw_store_prepare(c->store, "SELECT email FROM identities WHERE account_id = ?1", &s, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_int64(s, 1, c->account_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        g_hash_table_add(*out, g_strdup((const char *)sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? KW_OK : kw_store_fail(c->store, rc, "reading identities", error);
}

/* Everything before the network: the lock, the account, identities, the
 * writer. Reads first: a known account with known identities writes nothing. */
static kw_status_t prepare_store(sync_ctx_t *c, char **error)
{
    GHashTable *known = NULL;
    kw_status_t st = take_lock(c, error);
    if (st != KW_OK)
        return st;
    st = kw_store_account_id(c->store, c->opt->account, 0, &c->account_id, NULL);
    if (st == KW_ERR_NOT_FOUND) {
        st = kw_store_write_begin(c->store, error);
        if (st != KW_OK)
            return st;
        st = kw_store_account_id(c->store, c->opt->account, 1, &c->account_id, error);
        if (st == KW_OK)
            st = kw_store_write_commit(c->store, error);
        else
            kw_store_write_rollback(c->store);
    }
    if (st != KW_OK)
        return st;
    st = known_identities(c, &known, error);
    for (const char *const *me = c->opt->me; st == KW_OK && me && *me; me++) {
        char *email = kw_normalize_email(*me, -1);
        if (!email || !g_hash_table_contains(known, email))
            st = kw_store_add_identity(c->store, c->opt->account, *me, error);
        g_free(email);
    }
    g_hash_table_destroy(known);
    if (st != KW_OK)
        return st;
    /* The writer only inserts children of rows it has just looked up or
     * created in the same transaction: per-row foreign-key checks cost 11k
     * instructions per message. Restored before returning. */
    st = kw_store_exec(c->store, "PRAGMA foreign_keys=OFF", error);
    if (st != KW_OK)
        return st;
    return kw_sync_writer_new(c->store, c->account_id, &c->writer, error);
}

/* After the folders: history of vanished folders kept, identity adopted,
 * the account's host and time recorded. */
static kw_status_t finish_store(sync_ctx_t *c, GArray *seen, char **error)
{
    kw_status_t st;
    char *adopted = NULL;

    /* Folders that disappeared keep their history (never pruned). Only
     * when the LIST was not empty (an empty LIST proves nothing). */
    if (seen->len > 0) {
        st = kw_sync_writer_mark_gone(c->writer, (const int64_t *)(void *)seen->data, seen->len, error);
        if (st != KW_OK)
            return st;
    }
    st = kw_sync_writer_adopt_identity(c->writer, &adopted, error);
    if (st != KW_OK)
        return st;
    if (adopted)
        kw_sync_warn(&c->progress, NULL, 0, "using %s as your address (it sent most of your Sent folder); "
                     "add other addresses with --me", adopted);
    g_free(adopted);
    return kw_sync_writer_touch_account(c->writer, c->opt->host, c->opt->user, error);
}

KW_PUBLIC kw_status_t kw_sync_run(kw_store_t *store, const kw_sync_options_t *o,
                                  kw_sync_report_t *report, char **error)
{
    sync_ctx_t c;
    kw_sync_report_t dummy;
    GPtrArray *folders = NULL;
    GArray *seen = NULL;
    kw_status_t st;
    gint64 start_us = g_get_monotonic_time();
    kw_checkpointer_t *checkpointer = NULL;
    int skipped = 0, timeout, chunk;

    memset(&c, 0, sizeof c);
    c.lock_fd = -1;
    c.report = report ? report : &dummy;
    memset(c.report, 0, sizeof *c.report);

    if (!store) {
        kw_set_error(error, "no store");
        return KW_ERR_USAGE;
    }
    st = check_options(o, error);
    if (st != KW_OK)
        return st;
    c.store = store;
    c.opt = o;
    c.progress.fn = o->progress;
    c.progress.data = o->progress_data;
    c.progress.account = o->account;
    timeout = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT;
    chunk = o->chunk_size > 0 ? o->chunk_size : DEFAULT_CHUNK;

    st = prepare_store(&c, error);
    if (st != KW_OK)
        goto done;

    st = kw_session_open(o, timeout, &c.progress.cancelled, &c.session, error);
    if (st != KW_OK)
        goto done;
    kw_sync_emit(&c.progress, KW_PROGRESS_CONNECTED, NULL, 0, 0, 0, 0, NULL);
    if (c.progress.cancelled) {
        st = KW_ERR_CANCELLED;
        goto done;
    }

    st = kw_folders_list(c.session, o, &c.progress, &folders, error);
    if (st != KW_OK)
        goto done;
    c.report->folders_seen = (int)folders->len;
    c.progress.folders_total = (int)folders->len;
    kw_sync_emit(&c.progress, KW_PROGRESS_FOLDERS, NULL, 0, 0, 0, 0, NULL);
    if (folders->len == 0)
        kw_sync_warn(&c.progress, NULL, 0, "the server listed no folders to read; nothing was changed in the store");

    seen = g_array_new(FALSE, FALSE, sizeof(int64_t));
    st = kw_sync_writer_folders(c.writer, folders, error);
    if (st != KW_OK)
        goto done;
    for (guint i = 0; i < folders->len; i++)
        g_array_append_val(seen, ((kw_folder_state_t *)g_ptr_array_index(folders, i))->id);
    c.pipeline = kw_fetch_pipeline_new(c.session, store, c.writer, &c.progress, c.report, chunk,
                                       (int64_t)time(NULL));
    checkpointer = kw_checkpointer_start(store);
    st = sync_folders(&c, folders, &skipped, error);
    kw_checkpointer_stop(checkpointer);
    if (st != KW_OK && st != KW_ERR_PARTIAL)
        goto done;
    st = KW_OK;
    if (c.progress.cancelled) {
        kw_set_error(error, "sync cancelled; what was fetched is kept");
        st = KW_ERR_CANCELLED;
        goto done;
    }
    st = finish_store(&c, seen, error);
    if (st != KW_OK)
        goto done;

    kw_session_logout(c.session);
    if (skipped) {
        kw_set_error(error, "%d folder%s could not be read (see the warnings); the others are up to date",
                     skipped, skipped == 1 ? "" : "s");
        st = KW_ERR_PARTIAL;
    }
done:
    kw_fetch_pipeline_free(c.pipeline);
    kw_session_close(c.session);
    if (seen)
        g_array_free(seen, TRUE);
    if (folders)
        g_ptr_array_free(folders, TRUE);
    c.report->addresses_unreadable = kw_sync_writer_unreadable(c.writer);
    kw_sync_writer_free(c.writer);
    kw_store_exec(store, "PRAGMA foreign_keys=ON", NULL);
    if (c.lock_fd >= 0)
        close(c.lock_fd);
    c.report->folders_skipped = skipped;
    c.report->seconds = (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
    return st;
}
