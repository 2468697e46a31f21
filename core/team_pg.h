/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_pg.h — internal: the PostgreSQL adapter (libpq lives only in team_pg.c).
 *
 * Connection security (decided before any byte goes out, see kw_pg_policy):
 *  - TLS with sslmode=verify-full (chain and host name) against ca_file, the
 *    URL's sslrootcert or the system CA bundle, TLS 1.2 at least;
 *  - a weaker sslmode (verify-ca, require, prefer, allow, disable) only to a
 *    loopback address or a Unix socket;
 *  - a password never in the URL (refused), handed to libpq in a keyword
 *    array, never copied by us (libpq wipes its own copy in PQfinish);
 *  - GSSAPI encryption off (it would replace the TLS checks) unless the URL
 *    asks for it.
 * Every wait on the network is bounded by the server's timeout (async libpq
 * with poll()); the session runs with an empty search_path and server-side
 * statement and idle-in-transaction timeouts.
 *
 * Statuses: KW_ERR_USAGE (bad URL), KW_ERR_INSECURE (refused policy),
 * KW_ERR_TLS (handshake or certificate), KW_ERR_AUTH (refused credentials,
 * no password, permission denied), KW_ERR_NETWORK (cannot connect, dropped,
 * timeout), KW_ERR_SERVER (an SQL error), KW_ERR_NOMEM. */
#ifndef KW_TEAM_PG_H
#define KW_TEAM_PG_H

#include <glib.h>
#include "keepwarm.h"

typedef struct kw_pg kw_pg_t;
typedef struct kw_pg_result kw_pg_result_t;

/* The connection parameters the policy settled on: parallel NULL-terminated
 * keyword/value arrays for libpq (no password among them) and a description
 * of the server for messages ("db.example.com:5432/sales as jan").
 * Free with kw_pg_params_clear(). */
typedef struct {
    GPtrArray *keys;
    GPtrArray *values;
    char      *display;
    int        tls;      /* 1: TLS is required and verified */
} kw_pg_params_t;

/* Apply the connection policy to `url` (a postgresql:// URI or key=value
 * string) without touching the network. ca_file may be NULL.
 * Returns KW_OK, KW_ERR_USAGE (unparsable, a password in the URL, a service
 * file), KW_ERR_INSECURE (plaintext or an unverified name to a host that is
 * not loopback). */
kw_status_t kw_pg_policy(const char *url, const char *ca_file, kw_pg_params_t *out, char **error);
void kw_pg_params_clear(kw_pg_params_t *p);

/* 1 when every host of a libpq host list ("a,b") is a loopback address,
 * "localhost" or a Unix socket directory. */
int kw_pg_hosts_are_local(const char *hosts);

/* Connect (see the policy above). *out: (transfer full) kw_pg_close(). */
kw_status_t kw_pg_connect(const kw_team_server_t *server, kw_pg_t **out, char **error);
void kw_pg_close(kw_pg_t *pg);

/* The role the session runs as (transfer none). */
const char *kw_pg_user(kw_pg_t *pg);
/* "host:port/db" of the connected server (transfer none). */
const char *kw_pg_display(kw_pg_t *pg);

/* One statement with text parameters (values[i] NULL = SQL NULL); `sql` may
 * hold several statements when nparams == 0. *res (may be NULL to discard):
 * (transfer full) kw_pg_result_free(). `what` names the step for messages. */
kw_status_t kw_pg_exec(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                       const char *const *values, kw_pg_result_t **res, char **error);

/* Like kw_pg_exec for one query whose rows are handed to `row` one by one
 * as they arrive (libpq's single-row mode: memory stays flat however many
 * rows). cols[i] is NULL for SQL NULL (transfer none, valid during the call).
 * A non-KW_OK return of `row` stops the query and is returned. */
typedef kw_status_t (*kw_pg_row_fn)(const char *const *cols, int ncols, void *data, char **error);
kw_status_t kw_pg_exec_rows(kw_pg_t *pg, const char *what, const char *sql, int nparams,
                            const char *const *values, kw_pg_row_fn row, void *data,
                            int64_t *rows_out, char **error);

int         kw_pg_rows(const kw_pg_result_t *r);
/* Cell text (transfer none), NULL for SQL NULL. */
const char *kw_pg_value(const kw_pg_result_t *r, int row, int col);
/* Number of rows the command touched ("UPDATE 3" -> 3). */
int64_t     kw_pg_affected(const kw_pg_result_t *r);
void        kw_pg_result_free(kw_pg_result_t *r);

/* The SQLSTATE of the last failed statement ("" when none) (transfer none). */
const char *kw_pg_sqlstate(kw_pg_t *pg);

/* Quote an identifier / a literal for DDL, which takes no parameters
 * (transfer full, g_free). NULL when libpq refuses the text. */
char *kw_pg_quote_ident(kw_pg_t *pg, const char *s);
char *kw_pg_quote_literal(kw_pg_t *pg, const char *s);

/* The SCRAM verifier of `password` for role `user`, computed here so that
 * the password itself never reaches the server's logs (transfer full,
 * g_free). NULL on failure. */
char *kw_pg_password_verifier(kw_pg_t *pg, const char *password, const char *user);

/* Append one element to a PostgreSQL array literal being built in `out`
 * ("{" and "}" are the caller's): NULL gives an unquoted NULL. */
void kw_pg_array_append(GString *out, const char *value);

#endif
