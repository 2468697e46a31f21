/* store.c — the SQLite adapter: open/create/migrate, transactions, accounts,
 * identities. See store_schema.h for the tables and store.h for the rules.
 *
 * Durability choice (reliability notes E9): WAL with synchronous=NORMAL.
 * Every committed batch survives a crash of the process (kill -9); after a
 * power loss the last batches may roll back, which is harmless because the
 * folder position rolls back with them and the next sync fetches them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "store_schema.h"
#include "sanitize.h"
#include "classify.h"
#include "header_parse.h"

sqlite3 *kw_store_db(kw_store_t *store)
{
    return store ? store->db : NULL;
}

kw_status_t kw_store_fail(kw_store_t *store, int rc, const char *what, char **error)
{
    const char *msg = (store && store->db) ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
    const char *path = (store && store->path) ? store->path : "database";

    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        kw_set_error(error, "%s: out of memory", what);
        return KW_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        kw_set_error(error, "%s: %s is damaged (%s); it was left untouched — move it aside "
                     "and sync again to rebuild it", what, path, msg);
        return KW_ERR_STORE_CORRUPT;
    case SQLITE_FULL:
        kw_set_error(error, "%s: the disk holding %s is full; nothing of this batch was "
                     "kept — free some space and sync again", what, path);
        return KW_ERR_STORE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        kw_set_error(error, "%s: %s stayed locked by another program for too long", what, path);
        return KW_ERR_STORE;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        kw_set_error(error, "%s: cannot write %s (%s)", what, path, msg);
        return KW_ERR_STORE;
    default:
        kw_set_error(error, "%s: %s (%s)", what, msg, path);
        return KW_ERR_STORE;
    }
}

kw_status_t kw_store_exec(kw_store_t *store, const char *sql, char **error)
{
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return kw_store_fail(store, rc, "database", error);
    return KW_OK;
}

kw_status_t kw_store_prepare(kw_store_t *store, const char *sql, sqlite3_stmt **stmt,
                             char **error)
{
    int rc = sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        *stmt = NULL;
        return kw_store_fail(store, rc, "database query", error);
    }
    return KW_OK;
}

kw_status_t kw_store_write_begin(kw_store_t *store, char **error)
{
    if (store->read_only) {
        kw_set_error(error, "the database was opened read-only");
        return KW_ERR_USAGE;
    }
    return kw_store_exec(store, "BEGIN IMMEDIATE", error);
}

kw_status_t kw_store_write_commit(kw_store_t *store, char **error)
{
    return kw_store_exec(store, "COMMIT", error);
}

void kw_store_write_rollback(kw_store_t *store)
{
    if (store && store->db && !sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

KW_PUBLIC int kw_store_schema_version(void)
{
    return KW_SCHEMA_VERSION;
}

KW_PUBLIC char *kw_default_store_path(void)
{
    return g_build_filename(g_get_user_data_dir(), "keepwarm", "keepwarm.db", NULL);
}

/* Create the parent directory 0700 and the file 0600 before SQLite touches
 * them, so that -wal and -shm inherit 0600 whatever the umask. */
static kw_status_t prepare_file(const char *path, char **error)
{
    char *dir = g_path_get_dirname(path);
    kw_status_t st = KW_OK;
    int fd;

    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        if (g_mkdir_with_parents(dir, 0700) != 0) {
            kw_set_error(error, "cannot create directory %s: %s", dir, g_strerror(errno));
            st = KW_ERR_STORE;
            goto done;
        }
        chmod(dir, 0700);
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        kw_set_error(error, "cannot open %s: %s", path, g_strerror(errno));
        st = KW_ERR_STORE;
        goto done;
    }
    close(fd);
done:
    g_free(dir);
    return st;
}

/* Read user_version; SQLite reads the file header here, so a file that is
 * not a database (or is damaged) is reported before anything is written. A
 * store from a newer keepwarm is refused before even the journal mode is
 * touched, so it stays byte-for-byte as it was. */
static kw_status_t check_version(kw_store_t *store, int *version_out, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st;
    int version = 0, rc;

    st = kw_store_prepare(store, "PRAGMA user_version", &stmt, error);
    if (st != KW_OK)
        return st;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading the database", error);
    if (version > KW_SCHEMA_VERSION) {
        kw_set_error(error, "%s was written by a newer keepwarm (schema %d, this one knows %d); "
                     "it was left untouched — upgrade keepwarm", store->path, version,
                     KW_SCHEMA_VERSION);
        return KW_ERR_STORE_TOO_NEW;
    }
    *version_out = version;
    return KW_OK;
}

static kw_status_t migrate(kw_store_t *store, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st;
    int version = 0;

    st = check_version(store, &version, error);
    if (st != KW_OK)
        return st;
    if (version == KW_SCHEMA_VERSION)
        return KW_OK;
    if (store->read_only) {
        kw_set_error(error, "%s needs an upgrade; run a sync first", store->path);
        return KW_ERR_STORE;
    }

    /* Each migration is one IMMEDIATE transaction with its user_version, so
     * a kill in the middle leaves the old schema and version intact. */
    st = kw_store_write_begin(store, error);
    if (st != KW_OK)
        return st;
    /* Another process may have migrated while we waited for the lock. */
    st = kw_store_prepare(store, "PRAGMA user_version", &stmt, error);
    if (st != KW_OK)
        goto fail;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    for (; version < KW_SCHEMA_VERSION; version++) {
        char *pragma;
        st = kw_store_exec(store, kw_migrations[version], error);
        if (st != KW_OK)
            goto fail;
        pragma = g_strdup_printf("PRAGMA user_version=%d", version + 1);
        st = kw_store_exec(store, pragma, error);
        g_free(pragma);
        if (st != KW_OK)
            goto fail;
    }
    return kw_store_write_commit(store, error);
fail:
    kw_store_write_rollback(store);
    return st;
}

/* Record a passed check: (re)create the marker file, which also
 * updates its mtime. The marker is tied to the store's directory entry by
 * holding the store's inode number as its content. */
static void mark_checked(const char *path)
{
    char *marker = g_strconcat(path, ".checked", NULL);
    GStatBuf sb;
    if (g_stat(path, &sb) == 0) {
        char *ino = g_strdup_printf("%lu\n", (unsigned long)sb.st_ino);
        g_file_set_contents_full(marker, ino, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL);
        g_free(ino);
    }
    g_free(marker);
}

/* 1 when the marker names the store's current inode (not a store that was
 * replaced, copied or restored under the same name since). */
static int marker_matches(const char *path)
{
    char *marker = g_strconcat(path, ".checked", NULL), *text = NULL;
    GStatBuf sb;
    int ok = 0;
    if (g_stat(path, &sb) == 0 && g_file_get_contents(marker, &text, NULL, NULL))
        ok = g_ascii_strtoull(text, NULL, 10) == (guint64)sb.st_ino;
    g_free(text);
    g_free(marker);
    return ok;
}

static kw_status_t quick_check(kw_store_t *store, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st = kw_store_prepare(store, "PRAGMA quick_check(1)", &stmt, error);
    int rc;

    if (st != KW_OK)
        return st;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") != 0) {
        kw_set_error(error, "%s is damaged (%s); it was left untouched — move it aside and sync "
                     "again to rebuild it", store->path, sqlite3_column_text(stmt, 0));
        st = KW_ERR_STORE_CORRUPT;
    } else if (rc != SQLITE_ROW) {
        st = kw_store_fail(store, rc, "checking the database", error);
    }
    sqlite3_finalize(stmt);
    return st;
}

KW_PUBLIC kw_status_t kw_store_open(const char *path, kw_store_mode_t mode,
                                    kw_store_t **store_out, char **error)
{
    kw_store_t *store = NULL;
    kw_status_t st;
    int rc, flags, needs_check = 0;

    if (!path || !*path || !store_out) {
        kw_set_error(error, "no database path given");
        return KW_ERR_USAGE;
    }
    *store_out = NULL;

    if (mode == KW_STORE_READ_ONLY) {
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            kw_set_error(error, "no database at %s yet; run 'keepwarm sync' first", path);
            return KW_ERR_NOT_FOUND;
        }
        flags = SQLITE_OPEN_READONLY;
    } else {
        st = prepare_file(path, error);
        if (st != KW_OK)
            return st;
        flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }

    /* SQLite's global memory statistics take a mutex on every malloc/free
     * (~4k instructions per synced message); keepwarm never reads them. */
    {
        static gsize once = 0;
        if (g_once_init_enter(&once)) {
            sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
            g_once_init_leave(&once, 1);
        }
    }
    /* The whole-file check reads every page (about 60 ms at 100k messages,
     * most of a sync that finds nothing new), so a writer runs it when the
     * last writer did not close cleanly (a WAL was left behind), when no
     * check has been recorded for this file (a copied or restored store),
     * or when the last one is more than a day old. The record is the
     * mtime of a marker file next to the store, never a write into it. */
    if (mode != KW_STORE_READ_ONLY) {
        char *wal = g_strconcat(path, "-wal", NULL);
        char *marker = g_strconcat(path, ".checked", NULL);
        GStatBuf sb, mk_sb;
        needs_check = g_stat(wal, &sb) == 0 && sb.st_size > 0;
        if (g_stat(marker, &mk_sb) != 0 || mk_sb.st_mtime + 86400 < time(NULL) ||
            !marker_matches(path))
            needs_check = 1;
        g_free(wal);
        g_free(marker);
    }
    store = g_new0(kw_store_t, 1);
    store->path = g_strdup(path);
    store->read_only = (mode == KW_STORE_READ_ONLY);
    rc = sqlite3_open_v2(path, &store->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = kw_store_fail(store, rc, "opening the database", error);
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, 10000);

    {
        int version;
        st = check_version(store, &version, error);
        if (st != KW_OK)
            goto fail;
    }
    if (!store->read_only) {
        st = kw_store_exec(store, "PRAGMA journal_mode=WAL", error);
        if (st != KW_OK)
            goto fail;
    }
    st = kw_store_exec(store,
                       "PRAGMA synchronous=NORMAL;"
                       "PRAGMA foreign_keys=ON;"
                       "PRAGMA temp_store=MEMORY;"
                       "PRAGMA journal_size_limit=67108864;"
                       "PRAGMA cache_size=-6000;"
                       /* fewer checkpoints (each one fsyncs and copies pages again) */
                       "PRAGMA wal_autocheckpoint=16384;",
                       error);
    if (st != KW_OK)
        goto fail;
    st = migrate(store, error);
    if (st != KW_OK)
        goto fail;
    if (!store->read_only && needs_check) {
        /* Before anything is written into it, make sure the file is sound
         * (E8): a damaged store is reported and left as it is. Readers skip
         * this (it reads every page); SQLite reports damage they touch. */
        st = quick_check(store, error);
        if (st != KW_OK)
            goto fail;
        mark_checked(path);
    }
    *store_out = store;
    return KW_OK;
fail:
    kw_store_close(store);
    return st;
}

KW_PUBLIC void kw_store_close(kw_store_t *store)
{
    if (!store)
        return;
    if (store->db) {
        if (!store->read_only)
            sqlite3_exec(store->db, "PRAGMA optimize", NULL, NULL, NULL);
        sqlite3_close_v2(store->db);
    }
    g_free(store->path);
    g_free(store);
}

kw_status_t kw_store_account_id(kw_store_t *store, const char *name, int create,
                                int64_t *id_out, char **error)
{
    sqlite3_stmt *stmt = NULL;
    kw_status_t st;
    int rc;

    st = kw_store_prepare(store, "SELECT id FROM accounts WHERE name = ?1", &stmt, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return KW_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "reading accounts", error);
    if (!create) {
        kw_set_error(error, "no account named '%s' in the database", name);
        return KW_ERR_NOT_FOUND;
    }
    st = kw_store_prepare(store, "INSERT INTO accounts(name) VALUES (?1)", &stmt, error);
    if (st != KW_OK)
        return st;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return kw_store_fail(store, rc, "adding the account", error);
    *id_out = sqlite3_last_insert_rowid(store->db);
    return KW_OK;
}

void kw_addrs_append(GByteArray *out, int role, int64_t contact_id)
{
    guint8 buf[11];
    size_t n = 0;
    uint64_t v = (uint64_t)contact_id;

    buf[n++] = (guint8)role;
    do {
        guint8 b = v & 0x7f;
        v >>= 7;
        buf[n++] = b | (v ? 0x80 : 0);
    } while (v && n < sizeof buf);
    g_byte_array_append(out, buf, (guint)n);
}

int kw_addrs_next(const unsigned char **p, const unsigned char *end, int *role, int64_t *contact_id)
{
    const unsigned char *q = *p;
    uint64_t v = 0;
    int shift = 0;

    if (q >= end)
        return 0;
    *role = *q++;
    for (;;) {
        if (q >= end || shift > 63)
            return -1;
        v |= (uint64_t)(*q & 0x7f) << shift;
        if (!(*q++ & 0x80))
            break;
        shift += 7;
    }
    *contact_id = (int64_t)v;
    *p = q;
    return 1;
}

/* Interactions follow from who sent a message, by kw_direction_of()
 * (classify.c), the rule the sync writer applies to each new message; this
 * recomputes all of them locally. */
kw_status_t kw_store_rebuild_interactions(kw_store_t *store, char **error)
{
    sqlite3_stmt *me = NULL, *msgs = NULL, *ins = NULL;
    GHashTable *mine = g_hash_table_new(g_int64_hash, g_int64_equal);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    kw_status_t st;
    int rc;

    st = kw_store_exec(store, "DELETE FROM interactions", error);
    if (st != KW_OK)
        goto done;
    st = kw_store_prepare(store, "SELECT c.id FROM contacts c JOIN identities i ON i.email = c.email",
                          &me, error);
    if (st != KW_OK)
        goto done;
    while ((rc = sqlite3_step(me)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(me, 0);
        g_array_append_val(ids, id);
    }
    if (rc != SQLITE_DONE) {
        st = kw_store_fail(store, rc, "reading identities", error);
        goto done;
    }
    for (guint i = 0; i < ids->len; i++)
        g_hash_table_add(mine, &g_array_index(ids, int64_t, i));
    st = kw_store_prepare(store, "SELECT id, date, flags, n_recipients, addrs FROM messages", &msgs, error);
    if (st != KW_OK)
        goto done;
    st = kw_store_prepare(store,
                          "INSERT OR IGNORE INTO interactions(contact_id, date, message_id, direction,"
                          " flags, n_recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          &ins, error);
    if (st != KW_OK)
        goto done;
    while ((rc = sqlite3_step(msgs)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(msgs, 4);
        const unsigned char *end = p + sqlite3_column_bytes(msgs, 4);
        int64_t from, cid;
        int have_from = 0, from_is_me = 0, role;

        while (p && kw_addrs_next(&p, end, &role, &cid) == 1) {
            kw_direction_t direction;
            int first_from = 0;
            if (role == KW_ROLE_FROM && !have_from) {
                have_from = first_from = 1;
                from = cid;
                from_is_me = g_hash_table_contains(mine, &from);
            }
            if (!have_from)
                continue;   /* From comes first in the blob: nothing without one */
            direction = kw_direction_of(role, first_from, from_is_me,
                                        !first_from && g_hash_table_contains(mine, &cid));
            if (direction == KW_DIRECTION_NONE)
                continue;
            sqlite3_bind_int64(ins, 1, cid);
            sqlite3_bind_int64(ins, 2, sqlite3_column_int64(msgs, 1));
            sqlite3_bind_int64(ins, 3, sqlite3_column_int64(msgs, 0));
            sqlite3_bind_int(ins, 4, (int)direction);
            sqlite3_bind_int64(ins, 5, sqlite3_column_int64(msgs, 2));
            sqlite3_bind_int64(ins, 6, sqlite3_column_int64(msgs, 3));
            rc = sqlite3_step(ins);
            sqlite3_reset(ins);
            if (rc != SQLITE_DONE) {
                st = kw_store_fail(store, rc, "recomputing interactions", error);
                goto done;
            }
        }
    }
    if (rc != SQLITE_DONE)
        st = kw_store_fail(store, rc, "reading messages", error);
done:
    sqlite3_finalize(me);
    sqlite3_finalize(msgs);
    sqlite3_finalize(ins);
    g_hash_table_destroy(mine);
    g_array_free(ids, TRUE);
    return st;
}
