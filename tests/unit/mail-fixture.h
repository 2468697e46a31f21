/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mail-fixture.h — a store in a temporary directory filled the way a sync
 * fills it: header blocks through the real parser (header_parse.c) and the
 * real writer (sync_store.c), the user's mail as if read from \Sent. For
 * tests of what sits on top of the store (the daily routine, calendars).
 * Times are in days from T0, Monday 2024-01-01 00:00 UTC. */
#ifndef KW_MAIL_FIXTURE_H
#define KW_MAIL_FIXTURE_H

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "keepwarm.h"
#include "header_parse.h"
#include "store.h"
#include "sync_store.h"

#define T0 ((int64_t) 1704067200) /* Monday 2024-01-01T00:00:00Z */
#define DAY ((int64_t) 86400)
#define AT(d) (T0 + (int64_t) ((d) * (double) DAY))
#define ME "me@mycorp.com"

typedef struct {
    char       *dir;
    char       *path;
    kw_store_t *store;
    int64_t     account;
    int         n;         /* messages written, for unique Message-IDs */
} fixture_t;

static void fx_setup(fixture_t *f, gconstpointer data)
{
    char *error = NULL;
    (void) data;
    f->dir = g_dir_make_tmp("kw-test-fx-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->path = g_build_filename(f->dir, "kw.db", NULL);
    g_assert_cmpint(kw_store_open(f->path, KW_STORE_READ_WRITE, &f->store, &error), ==, KW_OK);
    g_assert_cmpint(kw_store_add_identity(f->store, "work", ME, &error), ==, KW_OK);
    g_assert_cmpint(kw_store_account_id(f->store, "work", 0, &f->account, &error), ==, KW_OK);
    g_assert_null(error);
    f->n = 0;
}

/* The store and what SQLite and the store leave beside it (-wal, -shm,
 * the .checked marker): tests leave nothing in the temporary directory. */
static void fx_teardown(fixture_t *f, gconstpointer data)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal", ".checked" };
    (void) data;
    kw_store_close(f->store);
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        char *p = g_strconcat(f->path, suffixes[i], NULL);
        g_remove(p);
        g_free(p);
    }
    g_assert_cmpint(g_rmdir(f->dir), ==, 0);
    g_free(f->path);
    g_free(f->dir);
}

/* One message at time t, written like the sync writes it. `to` may list
 * several addresses ("a@x, b@y"); `rcpt_extra` adds that many more. */
static void fx_mail_at(fixture_t *f, const char *from, const char *to, int64_t t, const char *subject,
                       int rcpt_extra)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    char *date = g_date_time_format(dt, "%a, %d %b %Y %H:%M:%S +0000");
    GString *block = g_string_new(NULL);
    kw_parsed_msg_t msg;
    kw_sync_writer_t *w = NULL;
    kw_folder_state_t folder = { .is_sent = strcmp(from, ME) == 0 };
    int is_new = 0;
    char *error = NULL;

    g_string_append_printf(block, "From: %s\r\nTo: %s", from, to);
    for (int i = 0; i < rcpt_extra; i++)
        g_string_append_printf(block, ", crowd%d@crowd.example", i);
    g_string_append_printf(block, "\r\nDate: %s\r\nMessage-ID: <m%d@fixture.test>\r\nSubject: %s\r\n",
                           date, ++f->n, subject);
    g_assert_cmpint(kw_header_parse(block->str, block->len, t, t + DAY, &msg), ==, 0);
    g_assert_cmpint(kw_store_write_begin(f->store, &error), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_new(f->store, f->account, &w, &error), ==, KW_OK);
    g_assert_cmpint(kw_sync_writer_add(w, &folder, &msg, &is_new, &error), ==, KW_OK);
    g_assert_true(is_new);
    g_assert_cmpint(kw_sync_writer_flush(w, &error), ==, KW_OK);
    kw_sync_writer_free(w);
    g_assert_cmpint(kw_store_write_commit(f->store, &error), ==, KW_OK);
    g_assert_null(error);
    kw_parsed_msg_clear(&msg);
    g_string_free(block, TRUE);
    g_free(date);
    g_date_time_unref(dt);
}

static void fx_mail(fixture_t *f, const char *from, const char *to, double day, const char *subject)
{
    fx_mail_at(f, from, to, AT(day), subject, 0);
}

/* `count` exchanges with `who` every `every` days from `start`: they write
 * at 9:36, you answer at 14:24. */
static void fx_exchanges(fixture_t *f, const char *who, double start, double every, int count)
{
    for (int k = 0; k < count; k++) {
        fx_mail(f, who, ME, start + k * every + 0.40, "Question");
        fx_mail(f, ME, who, start + k * every + 0.60, "Re: Question");
    }
}

static int64_t fx_count(fixture_t *f, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n;
    g_assert_cmpint(sqlite3_prepare_v2(kw_store_db(f->store), sql, -1, &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static kw_model_t *fx_model(fixture_t *f, int64_t as_of)
{
    kw_model_options_t o = { .as_of = as_of };
    kw_model_t *m = NULL;
    char *error = NULL;
    g_assert_cmpint(kw_model_load(f->store, &o, &m, &error), ==, KW_OK);
    g_assert_null(error);
    return m;
}

#endif
