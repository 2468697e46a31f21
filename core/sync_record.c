/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sync_record.c — kw_record_sent(): a message the user just sent, recorded
 * by the mail client the moment it is sent, through the very path a sync
 * takes (header_parse.c, then sync_store.c's writer as for a \Sent folder).
 * The message gets the same dedupe keys as its copy in the Sent folder, so
 * the next sync finds it there and counts nothing twice. Lives in the sync
 * module with the parser (GMime). */
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "header_parse.h"
#include "store.h"
#include "sync_store.h"

/* 1 when `email` is one of the user's addresses (any account). */
static kw_status_t is_identity(kw_store_t *store, const char *email, int *yes, char **error)
{
    sqlite3_stmt *st = NULL;
    kw_status_t s = kw_store_prepare(store, "SELECT EXISTS (SELECT 1 FROM identities WHERE email = ?1)",
                                     &st, error);
    int rc;
    if (s != KW_OK)
        return s;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return kw_store_fail(store, rc, "reading identities", error);
    return KW_OK;
}

KW_PUBLIC kw_status_t kw_record_sent(kw_store_t *store, const char *account, const char *headers,
                                     size_t len, int64_t now, char **error)
{
    kw_parsed_msg_t msg;
    kw_folder_state_t sent = { .is_sent = 1 }; /* as if read from a \Sent folder */
    kw_sync_writer_t *w = NULL;
    const char *from = NULL;
    int64_t account_id = 0;
    int mine = 0, is_new = 0;
    kw_status_t s;

    if (!store || !account || !*account || !headers || now <= 0) {
        kw_set_error(error, "kw_record_sent: a store, an account, headers and a time are required");
        return KW_ERR_USAGE;
    }
    if (kw_header_parse(headers, len, now, now, &msg) != 0) {
        kw_parsed_msg_clear(&msg);
        kw_set_error(error, "the sent message has no header keepwarm can read");
        return KW_ERR_USAGE;
    }
    for (size_t i = 0; i < msg.n_addrs && !from; i++)
        if (msg.addrs[i].role == KW_ROLE_FROM)
            from = msg.addrs[i].email;
    s = from ? is_identity(store, from, &mine, error) : KW_OK;
    if (s == KW_OK && !mine) {
        kw_set_error(error, "the sent message is from %s, which is not one of your addresses",
                     from ? from : "nobody");
        s = KW_ERR_USAGE;
    }
    if (s == KW_OK)
        s = kw_store_write_begin(store, error);
    if (s != KW_OK) {
        kw_parsed_msg_clear(&msg);
        return s;
    }
    s = kw_store_account_id(store, account, 1, &account_id, error);
    if (s == KW_OK)
        s = kw_sync_writer_new(store, account_id, &w, error);
    if (s == KW_OK)
        s = kw_sync_writer_add(w, &sent, &msg, &is_new, error);
    if (s == KW_OK)
        s = kw_sync_writer_flush(w, error); /* its interactions, its \Sent count */
    kw_sync_writer_free(w);
    if (s == KW_OK)
        s = kw_store_write_commit(store, error);
    if (s != KW_OK)
        kw_store_write_rollback(store);
    kw_parsed_msg_clear(&msg);
    return s;
}
