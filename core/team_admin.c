/* SPDX-License-Identifier: GPL-3.0-or-later */
/* team_admin.c — the team admin's operations: set up (and upgrade) the team
 * schema, add and remove members. See team_schema.h for what is created.
 *
 * DDL takes no bind parameters, so role names go through libpq's identifier
 * quoting and a member's password only as a SCRAM verifier computed here:
 * the password itself never reaches the server (nor its statement log). */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"
#include "team.h"
#include "team_pg.h"
#include "team_schema.h"

/* pg_advisory_xact_lock key: two inits at once run one after the other. */
#define INIT_LOCK "7308895168462513009"

static kw_status_t explain_privileges(kw_pg_t *pg, kw_status_t st, char **error)
{
    if (strcmp(kw_pg_sqlstate(pg), "42501") == 0) {
        kw_set_error(error, "team server %s: %s may not set up the team: the admin role must own "
                            "the database and have CREATEROLE",
                     kw_pg_display(pg), kw_pg_user(pg));
        return KW_ERR_AUTH;
    }
    return st;
}

KW_PUBLIC kw_status_t kw_team_init(const kw_team_server_t *server, int *version_out, char **error)
{
    kw_pg_result_t *res = NULL;
    kw_pg_t *pg = NULL;
    kw_status_t st;
    int version = 0;

    if (version_out)
        *version_out = 0;
    st = kw_pg_connect(server, &pg, error);
    if (st != KW_OK)
        return st;
    if ((st = kw_pg_exec(pg, "starting", "BEGIN", 0, NULL, NULL, error)) != KW_OK ||
        (st = kw_pg_exec(pg, "waiting for other set-ups",
                         "SELECT pg_catalog.pg_advisory_xact_lock(" INIT_LOCK ")", 0, NULL, NULL,
                         error)) != KW_OK ||
        (st = kw_pg_exec(pg, "reading the team schema",
                         "SELECT pg_catalog.to_regclass('keepwarm.schema_version') IS NOT NULL", 0,
                         NULL, &res, error)) != KW_OK)
        goto done;
    if (g_strcmp0(kw_pg_value(res, 0, 0), "t") == 0) {
        kw_pg_result_free(res);
        res = NULL;
        st = kw_pg_exec(pg, "reading the team schema version",
                        "SELECT version FROM keepwarm.schema_version", 0, NULL, &res, error);
        if (st != KW_OK)
            goto done;
        version = kw_pg_value(res, 0, 0) ? atoi(kw_pg_value(res, 0, 0)) : 0;
    }
    if (version > KW_TEAM_SCHEMA_VERSION) {
        kw_set_error(error, "team server %s was set up by a newer keepwarm (team schema %d, this "
                            "one knows %d): nothing was changed — upgrade keepwarm",
                     kw_pg_display(pg), version, KW_TEAM_SCHEMA_VERSION);
        st = KW_ERR_SERVER;
        goto done;
    }
    for (; version < KW_TEAM_SCHEMA_VERSION; version++) {
        char num[16];
        const char *v[] = { num };
        char *what = g_strdup_printf("creating team schema version %d", version + 1);
        st = kw_pg_exec(pg, what, kw_team_migrations[version], 0, NULL, NULL, error);
        g_free(what);
        if (st != KW_OK) {
            st = explain_privileges(pg, st, error);
            goto done;
        }
        g_snprintf(num, sizeof num, "%d", version + 1);
        st = kw_pg_exec(pg, "recording the team schema version",
                        "UPDATE keepwarm.schema_version SET version = $1::integer", 1, v, NULL, error);
        if (st != KW_OK)
            goto done;
    }
    st = kw_pg_exec(pg, "committing", "COMMIT", 0, NULL, NULL, error);
    if (st == KW_OK && version_out)
        *version_out = version;
done:
    kw_pg_result_free(res);
    kw_pg_close(pg); /* an open transaction is rolled back by the server */
    return st;
}

/* Role names keepwarm accepts for members: what a URL's user part can carry
 * without escaping, and what PostgreSQL takes without surprises. */
static int valid_member_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63 || !(g_ascii_islower(name[0]) || name[0] == '_'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(g_ascii_islower(name[i]) || g_ascii_isdigit(name[i]) || strchr("_.-", name[i])))
            return 0;
    return strncmp(name, "pg_", 3) != 0;
}

/* The members' group role (transfer full, g_free), inside a transaction. */
static kw_status_t group_role(kw_pg_t *pg, char **out, char **error)
{
    kw_pg_result_t *res = NULL;
    kw_status_t st = kw_pg_exec(pg, "reading the team", "SELECT group_role FROM keepwarm.team", 0,
                                NULL, &res, error);
    *out = NULL;
    if (st == KW_OK && !kw_pg_value(res, 0, 0)) {
        kw_set_error(error, "team server %s: the team has no group role; run 'keepwarm team init'",
                     kw_pg_display(pg));
        st = KW_ERR_SERVER;
    }
    if (st == KW_OK)
        *out = g_strdup(kw_pg_value(res, 0, 0));
    kw_pg_result_free(res);
    return st;
}

/* Run DDL built from quoted parts; `what` names it for messages. */
static kw_status_t ddl(kw_pg_t *pg, const char *what, char *sql, char **error)
{
    kw_status_t st = kw_pg_exec(pg, what, sql, 0, NULL, NULL, error);
    explicit_bzero(sql, strlen(sql)); /* may hold a password verifier */
    g_free(sql);
    return explain_privileges(pg, st, error);
}

KW_PUBLIC kw_status_t kw_team_add_member(const kw_team_server_t *server, const char *member,
                                         const char *display_name, const char *member_password,
                                         char **error)
{
    kw_pg_result_t *res = NULL;
    kw_pg_t *pg = NULL;
    char *team_id = NULL, *group = NULL, *q_member = NULL, *q_group = NULL, *verifier = NULL;
    kw_status_t st;
    int exists, created = 0;

    if (!valid_member_name(member)) {
        kw_set_error(error, "'%s' is not a member name keepwarm accepts: 1 to 63 lower-case "
                            "letters, digits, '_', '.', '-', starting with a letter or '_' "
                            "(and not pg_)", member ? member : "");
        return KW_ERR_USAGE;
    }
    if (display_name && g_utf8_strlen(display_name, -1) > 200) {
        kw_set_error(error, "the display name is longer than 200 characters");
        return KW_ERR_USAGE;
    }
    st = kw_team_open(server, &pg, &team_id, error);
    if (st != KW_OK)
        return st;
    if (strcmp(member, kw_pg_user(pg)) == 0) {
        kw_set_error(error, "%s owns the team's tables, so row-level security does not apply to it: "
                            "members need their own login roles", member);
        st = KW_ERR_USAGE;
        goto done;
    }
    if ((st = kw_pg_exec(pg, "starting", "BEGIN", 0, NULL, NULL, error)) != KW_OK ||
        (st = group_role(pg, &group, error)) != KW_OK)
        goto done;
    {
        const char *v[] = { member };
        st = kw_pg_exec(pg, "looking up the role",
                        "SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = $1",
                        1, v, &res, error);
        if (st != KW_OK)
            goto done;
    }
    exists = kw_pg_rows(res) == 1;
    if (exists && g_strcmp0(kw_pg_value(res, 0, 0), "t") == 0) {
        kw_set_error(error, "%s is a superuser or bypasses row-level security: it would see and "
                            "change every member's rows; give the member an ordinary role",
                     member);
        st = KW_ERR_USAGE;
        goto done;
    }
    q_member = kw_pg_quote_ident(pg, member);
    q_group = kw_pg_quote_ident(pg, group);
    if (!q_member || !q_group) {
        kw_set_error(error, "cannot quote the role names");
        st = KW_ERR_INTERNAL;
        goto done;
    }
    if (member_password) {
        char *v = kw_pg_password_verifier(pg, member_password, member);
        verifier = v ? kw_pg_quote_literal(pg, v) : NULL;
        if (v) {
            explicit_bzero(v, strlen(v));
            g_free(v);
        }
        if (!verifier) {
            kw_set_error(error, "cannot prepare the member's password");
            st = KW_ERR_INTERNAL;
            goto done;
        }
    }
    if (!exists) {
        st = ddl(pg, "creating the member's login role",
                 g_strdup_printf("CREATE ROLE %s LOGIN%s%s", q_member,
                                 verifier ? " PASSWORD " : "", verifier ? verifier : ""),
                 error);
        created = 1;
    } else if (verifier) {
        st = ddl(pg, "setting the member's password",
                 g_strdup_printf("ALTER ROLE %s PASSWORD %s", q_member, verifier), error);
    }
    if (st != KW_OK)
        goto done;
    st = ddl(pg, "granting the team's rights", g_strdup_printf("GRANT %s TO %s", q_group, q_member),
             error);
    if (st != KW_OK)
        goto done;
    {
        const char *v[] = { member, display_name, created ? "t" : "f" };
        st = kw_pg_exec(pg, "recording the member",
                        "INSERT INTO keepwarm.members AS m (member, display_name, created_role)"
                        " VALUES ($1, $2, $3::boolean) ON CONFLICT (member) DO UPDATE SET"
                        " display_name = COALESCE(EXCLUDED.display_name, m.display_name),"
                        " created_role = m.created_role OR EXCLUDED.created_role",
                        3, v, NULL, error);
    }
    if (st == KW_OK)
        st = kw_pg_exec(pg, "committing", "COMMIT", 0, NULL, NULL, error);
done:
    if (verifier) {
        explicit_bzero(verifier, strlen(verifier));
        g_free(verifier);
    }
    kw_pg_result_free(res);
    kw_pg_close(pg);
    g_free(team_id);
    g_free(group);
    g_free(q_member);
    g_free(q_group);
    return st;
}

KW_PUBLIC kw_status_t kw_team_remove_member(const kw_team_server_t *server, const char *member,
                                            char **note_out, char **error)
{
    kw_pg_result_t *res = NULL;
    kw_pg_t *pg = NULL;
    char *team_id = NULL, *group = NULL, *q_member = NULL, *q_group = NULL;
    const char *v[] = { member };
    kw_status_t st;
    int created, role_exists;

    if (note_out)
        *note_out = NULL;
    if (!valid_member_name(member)) {
        kw_set_error(error, "'%s' is not a member name", member ? member : "");
        return KW_ERR_USAGE;
    }
    st = kw_team_open(server, &pg, &team_id, error);
    if (st != KW_OK)
        return st;
    if ((st = kw_pg_exec(pg, "starting", "BEGIN", 0, NULL, NULL, error)) != KW_OK ||
        (st = group_role(pg, &group, error)) != KW_OK ||
        (st = kw_pg_exec(pg, "looking up the member",
                         "SELECT m.created_role, EXISTS (SELECT 1 FROM pg_catalog.pg_roles"
                         " WHERE rolname = m.member) FROM keepwarm.members m WHERE m.member = $1"
                         " FOR UPDATE",
                         1, v, &res, error)) != KW_OK)
        goto done;
    if (kw_pg_rows(res) != 1) {
        kw_set_error(error, "%s is not a member of the team", member);
        st = KW_ERR_NOT_FOUND;
        goto done;
    }
    created = g_strcmp0(kw_pg_value(res, 0, 0), "t") == 0;
    role_exists = g_strcmp0(kw_pg_value(res, 0, 1), "t") == 0;
    q_member = kw_pg_quote_ident(pg, member);
    q_group = kw_pg_quote_ident(pg, group);
    /* Their rows go (teammates' pulls drop them through the tombstones). */
    if ((st = kw_pg_exec(pg, "removing the member's records",
                         "DELETE FROM keepwarm.records WHERE member = $1", 1, v, NULL, error)) ||
        (st = kw_pg_exec(pg, "removing the member", "DELETE FROM keepwarm.members WHERE member = $1",
                         1, v, NULL, error)))
        goto done;
    if (role_exists &&
        (st = ddl(pg, "revoking the team's rights",
                  g_strdup_printf("REVOKE %s FROM %s", q_group, q_member), error)) != KW_OK)
        goto done;
    if ((st = kw_pg_exec(pg, "committing", "COMMIT", 0, NULL, NULL, error)) != KW_OK)
        goto done;
    /* From here the member can neither read nor write. End their sessions
     * (allowed to the admin only with pg_signal_backend; best effort) and
     * drop the login role keepwarm created. */
    kw_pg_exec(pg, "ending the member's sessions",
               "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
               " WHERE usename = $1",
               1, v, NULL, NULL);
    if (created && role_exists) {
        char *err = NULL;
        if (ddl(pg, "dropping the member's role", g_strdup_printf("DROP ROLE %s", q_member), &err) !=
            KW_OK) {
            ddl(pg, "disabling the member's login",
                g_strdup_printf("ALTER ROLE %s NOLOGIN", q_member), NULL);
            if (note_out)
                *note_out = g_strdup_printf("the role %s could not be dropped (%s); it can no "
                                            "longer log in",
                                            member, err ? err : "unknown error");
        }
        g_free(err);
    }
done:
    kw_pg_result_free(res);
    kw_pg_close(pg);
    g_free(team_id);
    g_free(group);
    g_free(q_member);
    g_free(q_group);
    return st;
}
