/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_model.c — the native host's requests on the relationship model:
 *
 *   overdue       {by?, all?, state?, limit?, as_of?}  -> {as_of, total, truncated, items: [relationship]}
 *   for-sender    {address, as_of?}                    -> {tracked, relationship?}
 *   relationship  {target, as_of?}                     -> {relationship}
 *   timeline      {target, limit?, as_of?}             -> {target, total, truncated, items: [touch]}
 *   today         {as_of?, size?}                      -> the day's list (as `keepwarm today --format=json`)
 *   review        {weeks?, as_of?}                     -> {weeks: [...], overdue_sparkline}
 *   record-sent   {message_id, from, to, cc?, subject?, account?} -> {recorded, account, message_id}
 *   action        {action, target, ...}                -> {action, target, ...}
 *
 * A request that reads loads the model once (kw_model_load, as of the
 * request's as_of) in one read transaction of the store, so it answers from
 * a consistent snapshot while a sync writes. A relationship is the one JSON
 * description the command prints (kw_cli_relationship_json: the model's
 * facts and their words, in the request's language) plus what only a mail
 * client shows: the hint line above a message and its action, both from
 * the wording module, as in the Claws plugin's hint bar; a touch, the day's
 * list and the review are the command's too (kw_cli_touch_json,
 * kw_cli_today_json, kw_cli_review_json). Everything from mail is sanitised.
 *
 * The daily routine goes through the library calls the command makes: the
 * day's list (kw_today: computed and kept on the day's first look, so the
 * store is opened read-write, but never created), its marks (kw_today_mark),
 * logged calls and meetings (kw_log_touch), tiers (kw_set_tier), undo
 * (kw_action_undo, kw_unlog_touch), and a message Thunderbird just sent
 * (kw_record_sent, the path the Claws plugin takes), so that Today ticks
 * at once. Targets are resolved by the library (kw_model_resolve) in every
 * action. Days are the user's local days (TZ of the host process).
 *
 * status.features follows from the two tables at the end of this file: a
 * command with `pending` or an action without `run` is defined (the add-on
 * may show it) but answered "not-available". */
#include <string.h>
#include <glib.h>

#include "host.h"
#include "words/kw_input.h"

#define DAY 86400

/* ---- the store and the model ------------------------------------------------- */

/* The store, or an error answer: "not-synced" when nothing was synced yet
 * (the store is never created by a read). */
static int open_store(kw_host_req_t *req, kw_store_mode_t mode, kw_store_t **store)
{
    char *path = req->cli->db_path ? g_strdup(req->cli->db_path) : kw_default_store_path();
    char *error = NULL;
    kw_status_t st;
    int rc = 0;

    *store = NULL;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        kw_host_fail(req, KW_HOST_E_NOT_SYNCED, "no mail has been read yet (%s does not exist): "
                     "set up an account and sync", path);
        g_free(path);
        return -1;
    }
    st = kw_store_open(path, mode, store, &error);
    if (st != KW_OK) {
        kw_host_fail_status(req, st, error);
        rc = -1;
    }
    kw_free(error);
    g_free(path);
    return rc;
}

/* After a library call: on failure the error answer (error freed), and TRUE. */
static gboolean failed(kw_host_req_t *req, kw_status_t st, char *error)
{
    if (st != KW_OK)
        kw_host_fail_status(req, st, error);
    kw_free(error);
    return st != KW_OK;
}

/* One request's model. */
typedef struct {
    kw_store_t *store;
    kw_model_t *model;
    int64_t     as_of;
} host_model_t;

/* "as_of" (a date, "@UNIX" or "now"), default the request's time. */
static int param_as_of(kw_host_req_t *req, int64_t *as_of)
{
    const char *text = NULL;

    *as_of = req->now;
    if (kw_host_param_string(req, "as_of", 0, &text) < 0)
        return -1;
    if (text && (kw_input_when(text, req->now, as_of) != KW_INPUT_OK || *as_of <= 0)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'as_of' is not a date: '%s'", text);
        return -1;
    }
    return 0;
}

static void model_close(host_model_t *m)
{
    kw_model_free(m->model); /* before its store */
    kw_store_close(m->store);
    memset(m, 0, sizeof *m);
}

/* Load the model as of m->as_of on the store opened in `mode` (the
 * default cadence is the store's, as for the command). 0, or -1 after an
 * error answer (m closed). */
static int model_load(kw_host_req_t *req, kw_store_mode_t mode, host_model_t *m)
{
    kw_model_options_t o;
    char *error = NULL;
    kw_status_t st;

    memset(&o, 0, sizeof o);
    if (open_store(req, mode, &m->store) < 0)
        return -1;
    o.as_of = m->as_of;
    st = kw_model_load(m->store, &o, &m->model, &error);
    if (failed(req, st, error)) {
        model_close(m);
        return -1;
    }
    return 0;
}

/* The model as of the request's "as_of", read-only. */
static int model_open(kw_host_req_t *req, host_model_t *m)
{
    memset(m, 0, sizeof *m);
    if (param_as_of(req, &m->as_of) < 0)
        return -1;
    return model_load(req, KW_STORE_READ_ONLY, m);
}

/* "as_of" for the daily routine, as the command's --as-of: absent = now; a
 * date alone = that local day as a whole (as of its end, or now while it
 * lasts); a time as given. Fills *day and *when. */
static int param_day(kw_host_req_t *req, kw_day_t *day, int64_t *when)
{
    const char *text = NULL;
    int is_day = 0;

    if (kw_host_param_string(req, "as_of", 0, &text) < 0)
        return -1;
    if (!text) {
        *when = req->now;
        kw_day_local(req->now, day);
        return 0;
    }
    if (kw_cli_read_day(text, req->now, when, day, &is_day) != KW_INPUT_OK) {
        char *clean = kw_sanitize_for_display(text);
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'as_of' is not a date: '%s'", clean);
        kw_free(clean);
        return -1;
    }
    if (is_day)
        *when = kw_cli_day_as_of(day, req->now);
    return 0;
}

/* The day's model: the store read-write (the day's list is kept in it). */
static int day_open(kw_host_req_t *req, host_model_t *m, kw_day_t *day)
{
    memset(m, 0, sizeof *m);
    if (param_day(req, day, &m->as_of) < 0)
        return -1;
    return model_load(req, KW_STORE_READ_WRITE, m);
}

/* ---- what the add-on shows ------------------------------------------------------ */

static const char *hint_action_name(kw_hint_action_t a)
{
    switch (a) {
    case KW_HINT_WRITE:       return "write";
    case KW_HINT_REPLY:       return "reply";
    case KW_HINT_SNOOZE_WEEK: return "snooze-week";
    case KW_HINT_DETAILS:     return "details";
    default:                  return NULL;
    }
}

/* The command's relationship object, plus "hint" (the line above a message
 * from it, null for snoozed and ignored) and "hint_action". */
static JsonNode *relationship_json(const kw_relationship_t *r, int64_t as_of)
{
    JsonNode *node = kw_cli_relationship_json(r, as_of);
    JsonObject *o = json_node_get_object(node);
    char *hint = kw_words_hint(r, as_of);
    char *clean = hint ? kw_sanitize_for_display(hint) : NULL;
    const char *action = hint_action_name(kw_words_hint_action(r));

    if (clean)
        json_object_set_string_member(o, "hint", clean);
    else
        json_object_set_null_member(o, "hint");
    if (action)
        json_object_set_string_member(o, "hint_action", action);
    else
        json_object_set_null_member(o, "hint_action");
    kw_free(clean);
    g_free(hint);
    return node;
}

/* {name: relationship} (transfer full). */
static JsonNode *one_relationship(const char *name, const kw_relationship_t *r, int64_t as_of)
{
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_object_set_member(o, name, relationship_json(r, as_of));
    json_node_take_object(n, o);
    return n;
}

/* ---- the requests that read --------------------------------------------------- */

static JsonNode *cmd_overdue(kw_host_req_t *req)
{
    const char *by = NULL, *state = NULL;
    gboolean all = FALSE;
    int64_t limit = 500;
    kw_list_options_t lo;
    host_model_t m;
    kw_relationship_list_t *list = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

    memset(&lo, 0, sizeof lo);
    if (kw_host_param_string(req, "by", 0, &by) < 0 || kw_host_param_string(req, "state", 0, &state) < 0 ||
        kw_host_param_bool(req, "all", &all) < 0 || kw_host_param_int(req, "limit", 0, 1, 5000, &limit) < 0)
        return NULL;
    if (by && strcmp(by, "org") != 0 && strcmp(by, "person") != 0)
        return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'by' is org or person");
    lo.by = by && strcmp(by, "person") == 0 ? KW_BY_PERSON : KW_BY_ORG;
    lo.states = all ? KW_STATES_ALL : 0;
    if (state) {
        kw_state_t s;
        if (kw_state_from_string(state, &s) != KW_OK) {
            char *clean = kw_sanitize_for_display(state);
            kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "unknown state '%s'", clean);
            kw_free(clean);
            return NULL;
        }
        lo.states = KW_STATE_BIT(s);
    }
    if (model_open(req, &m) < 0)
        return NULL;
    /* The whole list (its length is the total); words only for what is sent. */
    st = kw_model_relationships(m.model, &lo, &list, &error);
    if (failed(req, st, error)) {
        model_close(&m);
        return NULL;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_time(b, "as_of", m.as_of);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64)list->count);
    json_builder_set_member_name(b, "truncated");
    json_builder_add_boolean_value(b, list->count > (size_t)limit);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (size_t i = 0; i < list->count && i < (size_t)limit; i++)
        json_builder_add_value(b, relationship_json(&list->items[i], m.as_of));
    json_builder_end_array(b);
    json_builder_end_object(b);
    kw_relationship_list_free(list);
    model_close(&m);
    return kw_host_finish(b);
}

/* As the Claws hint bar: the organisation's relationship first, then the
 * person's; lists, automated senders, colleagues and strangers have none
 * ({tracked: false}, the add-on shows nothing). An ignored one is there
 * but not tracked. */
static JsonNode *cmd_for_sender(kw_host_req_t *req)
{
    const char *address = NULL;
    kw_relationship_t *rel = NULL;
    host_model_t m;
    char *error = NULL;
    kw_status_t st;
    JsonNode *res;

    if (kw_host_param_string(req, "address", 1, &address) < 0 || model_open(req, &m) < 0)
        return NULL;
    st = kw_model_for_sender(m.model, address, &rel, &error);
    if (st == KW_ERR_USAGE) {
        kw_free(error);
        model_close(&m);
        return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'address' is not an e-mail address");
    }
    if (st != KW_ERR_NOT_FOUND && failed(req, st, error)) {
        model_close(&m);
        return NULL;
    }
    if (st == KW_ERR_NOT_FOUND)
        kw_free(error);
    res = rel ? one_relationship("relationship", rel, m.as_of) : json_node_new(JSON_NODE_OBJECT);
    if (!rel)
        json_node_take_object(res, json_object_new());
    json_object_set_boolean_member(json_node_get_object(res), "tracked",
                                   rel != NULL && rel->state != KW_STATE_IGNORED);
    kw_relationship_free(rel);
    model_close(&m);
    return res;
}

static JsonNode *cmd_relationship(kw_host_req_t *req)
{
    const char *target = NULL;
    kw_relationship_t *rel = NULL;
    host_model_t m;
    char *error = NULL;
    kw_status_t st;
    JsonNode *res = NULL;

    if (kw_host_param_string(req, "target", 1, &target) < 0 || model_open(req, &m) < 0)
        return NULL;
    st = kw_model_relationship(m.model, target, &rel, &error);
    if (!failed(req, st, error))
        res = one_relationship("relationship", rel, m.as_of);
    kw_relationship_free(rel);
    model_close(&m);
    return res;
}

static JsonNode *cmd_timeline(kw_host_req_t *req)
{
    const char *target = NULL;
    int64_t limit = 100;
    kw_touch_list_t *tl = NULL;
    host_model_t m;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

    if (kw_host_param_string(req, "target", 1, &target) < 0 ||
        kw_host_param_int(req, "limit", 0, 1, 5000, &limit) < 0 || model_open(req, &m) < 0)
        return NULL;
    st = kw_model_timeline(m.model, target, &tl, &error);
    if (failed(req, st, error)) {
        model_close(&m);
        return NULL;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_string(b, "target", target);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64)tl->count);
    json_builder_set_member_name(b, "truncated");
    json_builder_add_boolean_value(b, tl->count > (size_t)limit);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (size_t i = 0; i < tl->count && i < (size_t)limit; i++)
        json_builder_add_value(b, kw_cli_touch_json(&tl->items[i]));
    json_builder_end_array(b);
    json_builder_end_object(b);
    kw_touch_list_free(tl);
    model_close(&m);
    return kw_host_finish(b);
}

/* ---- the daily routine ------------------------------------------------------------ */

static JsonNode *not_available(kw_host_req_t *req, const char *what)
{
    return kw_host_fail(req, KW_HOST_E_NOT_AVAILABLE, "%s is not available in keepwarm %s",
                        what, KW_VERSION);
}

/* The command's day list, and per item "how_text" ("called", "skipped"; ""
 * while not done) for the add-on's tick. */
static JsonNode *today_json(const kw_today_t *t, int64_t as_of)
{
    JsonNode *root = kw_cli_today_json(t, as_of);
    JsonArray *items = json_object_get_array_member(json_node_get_object(root), "items");

    for (guint i = 0; i < json_array_get_length(items) && i < t->count; i++)
        json_object_set_string_member(json_array_get_object_element(items, i), "how_text",
                                      kw_words_how(t->items[i].how));
    return root;
}

static JsonNode *cmd_today(kw_host_req_t *req)
{
    int64_t size = 0;
    host_model_t m;
    kw_today_t *t = NULL;
    kw_day_t day;
    char *error = NULL;
    kw_status_t st;
    JsonNode *res = NULL;

    if (kw_host_param_int(req, "size", 0, 1, 50, &size) < 0 || day_open(req, &m, &day) < 0)
        return NULL;
    st = kw_today(m.store, m.model, &day, (int)size, &t, &error);
    if (!failed(req, st, error))
        res = today_json(t, m.as_of);
    kw_today_free(t);
    model_close(&m);
    return res;
}

static JsonNode *cmd_review(kw_host_req_t *req)
{
    int64_t weeks = 4, when = 0, *bounds;
    kw_store_t *store = NULL;
    kw_review_t *r = NULL;
    kw_day_t day;
    char *error = NULL;
    kw_status_t st;
    JsonNode *res = NULL;

    if (kw_host_param_int(req, "weeks", 0, 1, 104, &weeks) < 0 || param_day(req, &day, &when) < 0 ||
        open_store(req, KW_STORE_READ_ONLY, &store) < 0)
        return NULL;
    bounds = kw_cli_review_bounds(&day, when, (int)weeks);
    st = kw_review(store, bounds, (size_t)weeks + 1, 0, &r, &error);
    if (!failed(req, st, error))
        res = kw_cli_review_json(r);
    kw_review_free(r);
    kw_store_close(store);
    g_free(bounds);
    return res;
}

/* The address in "Name <addr>" or "addr" (transfer full, lower case). */
static char *bare_address(const char *from)
{
    const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    char *addr = lt && gt ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) : g_strdup(from);
    char *low = g_ascii_strdown(g_strstrip(addr), -1);

    g_free(addr);
    return low;
}

/* The configured account the message was sent from: "account" when given
 * (it must be configured), else the one whose user or `me` addresses hold
 * the From address, else the only one. Its name is what a sync of its
 * Sent folder records the message under, so that nothing counts twice. */
static char *sent_account(kw_host_req_t *req, const char *from)
{
    const char *asked = NULL;
    char *addr = bare_address(from), *found = NULL;
    kw_config_t cfg;

    memset(&cfg, 0, sizeof cfg);
    if (kw_host_param_string(req, "account", 0, &asked) < 0) {
        g_free(addr);
        return NULL;
    }
    if (kw_config_load(req->cli, NULL, 0, &cfg) != 0) { /* the reason goes to the host's log */
        char *log = kw_host_log_path();
        kw_host_fail(req, KW_HOST_E_CONFIG, "the configuration file cannot be used: the reason is in %s", log);
        g_free(log);
        kw_config_clear(&cfg);
        g_free(addr);
        return NULL;
    }
    for (guint i = 0; i < cfg.accounts->len && !found; i++) {
        const kw_account_cfg_t *a = &g_array_index(cfg.accounts, kw_account_cfg_t, i);
        gboolean mine = a->user && g_ascii_strcasecmp(a->user, addr) == 0;
        for (char **me = a->me; me && *me && !mine; me++)
            mine = g_ascii_strcasecmp(*me, addr) == 0;
        if (asked ? strcmp(a->account, asked) == 0 : mine)
            found = g_strdup(a->account);
    }
    if (!found && !asked && cfg.accounts->len == 1)
        found = g_strdup(g_array_index(cfg.accounts, kw_account_cfg_t, 0).account);
    if (!found) {
        if (asked) {
            char *clean = kw_sanitize_for_display(asked);
            kw_host_fail(req, KW_HOST_E_NOT_CONFIGURED, "no account '%s' is set up", clean);
            kw_free(clean);
        } else if (cfg.accounts->len == 0) {
            kw_host_fail(req, KW_HOST_E_NOT_CONFIGURED, "no account is set up");
        } else {
            char *clean = kw_sanitize_for_display(addr);
            kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "%s is the address of no account set up: "
                         "give 'account'", clean);
            kw_free(clean);
        }
    }
    kw_config_clear(&cfg);
    g_free(addr);
    return found;
}

/* A header field "Name: v1, v2\r\n"; FALSE when a value would break the
 * header block (a line break or a control character). */
static gboolean add_field(GString *block, const char *name, char *const *values)
{
    if (!values || !values[0])
        return TRUE;
    for (char *const *v = values; *v; v++)
        for (const char *c = *v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return FALSE;
    g_string_append_printf(block, "%s: ", name);
    for (char *const *v = values; *v; v++)
        g_string_append_printf(block, "%s%s", v == values ? "" : ", ", *v);
    g_string_append(block, "\r\n");
    return TRUE;
}

/* compose.onAfterSend: the message Thunderbird just sent, recorded as a
 * sync of the account's Sent folder would record it, so that Today ticks
 * now. "headers": the header block of the copy Thunderbird saved (exactly
 * what the sync will read: the same dedupe keys, nothing counted twice);
 * without one, a block written from "message_id", "from", "to", "cc",
 * "subject" and "date" (without a Date the library takes the request's
 * time, and a copy the sync finds later is not recognised as the same). */
static JsonNode *cmd_record_sent(kw_host_req_t *req)
{
    const char *message_id = NULL, *from = NULL, *subject = NULL, *date = NULL, *headers = NULL;
    char **to = NULL, **cc = NULL, *id = NULL, *account = NULL, *error = NULL;
    kw_store_t *store = NULL;
    GString *block = NULL;
    kw_status_t st;
    JsonBuilder *b;
    JsonNode *res = NULL;

    if (kw_host_param_string(req, "message_id", 1, &message_id) < 0 ||
        kw_host_param_string(req, "from", 1, &from) < 0 || kw_host_param_strv(req, "to", &to) < 0 ||
        kw_host_param_strv(req, "cc", &cc) < 0 || kw_host_param_string(req, "subject", 0, &subject) < 0 ||
        kw_host_param_string(req, "date", 0, &date) < 0 || kw_host_param_string(req, "headers", 0, &headers) < 0)
        goto done;
    id = g_strdup(message_id);
    g_strstrip(id);
    if (id[0] == '<' && id[strlen(id) - 1] == '>') {
        memmove(id, id + 1, strlen(id));
        id[strlen(id) - 1] = '\0';
    }
    block = g_string_new(NULL);
    if (headers && *headers) {
        g_string_assign(block, headers);
    } else {
        char *from_v[] = { (char *)from, NULL }, *subj_v[] = { (char *)subject, NULL };
        char *date_v[] = { (char *)date, NULL }, *id_v[] = { g_strdup_printf("<%s>", id), NULL };
        gboolean good = *id && !strpbrk(id, "<> ") && add_field(block, "From", from_v) &&
                        add_field(block, "To", to) && add_field(block, "Cc", cc) &&
                        add_field(block, "Message-ID", id_v) && add_field(block, "Subject", subj_v) &&
                        add_field(block, "Date", date_v);
        g_free(id_v[0]);
        if (!good) {
            kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "a header ('from', 'to', 'cc', 'subject', 'date' or "
                         "'message_id') holds a line break or is not usable");
            goto done;
        }
    }
    if (!(account = sent_account(req, from)) || open_store(req, KW_STORE_READ_WRITE, &store) < 0)
        goto done;
    st = kw_record_sent(store, account, block->str, block->len, req->now, &error);
    if (failed(req, st, error))
        goto done;
    kw_host_log("record-sent: a sent message recorded for account %s", account);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "recorded");
    json_builder_add_boolean_value(b, TRUE);
    kw_json_member_string(b, "account", account);
    kw_json_member_string(b, "message_id", id);
    json_builder_end_object(b);
    res = kw_host_finish(b);
done:
    kw_store_close(store);
    if (block)
        g_string_free(block, TRUE);
    g_free(account);
    g_free(id);
    g_strfreev(to);
    g_strfreev(cc);
    return res;
}

/* ---- actions --------------------------------------------------------------------- */

/* An action's parameters, checked before the store is opened for writing. */
typedef struct {
    int64_t     until;  /* snooze */
    int64_t     days;   /* snooze (echoed), cadence; -1 = none */
    const char *text;   /* note, name; a logged touch's note */
    kw_tier_t   tier;   /* tier */
    kw_source_t source; /* log-call, log-meeting */
    kw_how_t    how;    /* done, skip */
    int64_t     when;   /* log-*: the touch's time; done, skip: the model's as_of */
    int64_t     id;     /* undo: the action (0: the last one) */
    int64_t     touch;  /* undo: a logged touch */
    kw_day_t    day;    /* done, skip: the day and the model's as_of */
} action_args_t;

/* What an action runs with; `b` is the answer, open, for its own members. */
typedef struct {
    kw_host_req_t       *req;
    kw_store_t          *store;
    const char          *target;
    const action_args_t *a;
    JsonBuilder         *b;
} action_ctx_t;

/* "until": a date or a duration ("2w"); or "days" (1-3650). */
static int check_snooze(kw_host_req_t *req, action_args_t *a)
{
    const char *text = NULL;
    int64_t days = 0, secs;

    if (kw_host_param_string(req, "until", 0, &text) < 0 ||
        kw_host_param_int(req, "days", 0, 1, 3650, &days) < 0)
        return -1;
    if (text && days) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "give 'until' or 'days', not both");
        return -1;
    }
    if (days) {
        a->until = req->now + days * DAY;
        a->days = days;
    } else if (!text) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'until' (a date or 2w) or 'days' is missing");
        return -1;
    } else if (kw_input_duration(text, &secs) == KW_INPUT_OK) {
        a->until = req->now + secs;
    } else if (kw_input_when(text, req->now, &a->until) != KW_INPUT_OK) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST,
                     "'until' is neither a date (2024-06-01) nor a duration (10d, 3w)");
        return -1;
    }
    if (a->until <= req->now) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'until' is in the past");
        return -1;
    }
    return 0;
}

/* "days": 1-3650, or 0 for the learned rhythm. */
static int check_cadence(kw_host_req_t *req, action_args_t *a)
{
    return kw_host_param_int(req, "days", 1, 0, 3650, &a->days);
}

/* "text": the note, "" removes it. */
static int check_note(kw_host_req_t *req, action_args_t *a)
{
    if (kw_host_param_string(req, "text", 1, &a->text) < 0)
        return -1;
    if (strlen(a->text) > 4000) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "a note has at most 4000 bytes");
        return -1;
    }
    return 0;
}

/* "name": the name shown, "" returns to the derived one (the library checks
 * its length and UTF-8). */
static int check_name(kw_host_req_t *req, action_args_t *a)
{
    return kw_host_param_string(req, "name", 1, &a->text);
}

/* "tier": A, B, C or none. */
static int check_tier(kw_host_req_t *req, action_args_t *a)
{
    const char *text = NULL;

    if (kw_host_param_string(req, "tier", 1, &text) < 0)
        return -1;
    if (kw_tier_from_string(text, &a->tier) != KW_OK) {
        char *clean = kw_sanitize_for_display(text);
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "a tier is A, B, C or none, not '%s'", clean);
        kw_free(clean);
        return -1;
    }
    return 0;
}

/* "when" (default now; a date alone: now when it is today, else noon; a
 * later time plans it), "note" (at most 4000 bytes). */
static int check_log(kw_host_req_t *req, action_args_t *a)
{
    const char *when = NULL;

    if (kw_host_param_string(req, "when", 0, &when) < 0 || kw_host_param_string(req, "note", 0, &a->text) < 0)
        return -1;
    if (kw_cli_touch_time(when, req->now, &a->when) != 0 || a->when <= 0) {
        char *clean = kw_sanitize_for_display(when);
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'when' is not a date: '%s'", clean);
        kw_free(clean);
        return -1;
    }
    if (a->text && strlen(a->text) > 4000) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "a note has at most 4000 bytes");
        return -1;
    }
    return 0;
}

static int check_log_call(kw_host_req_t *req, action_args_t *a)
{
    a->source = KW_SOURCE_CALL;
    return check_log(req, a);
}

static int check_log_meeting(kw_host_req_t *req, action_args_t *a)
{
    a->source = KW_SOURCE_MEETING;
    return check_log(req, a);
}

/* "as_of" as for `today`. */
static int check_done(kw_host_req_t *req, action_args_t *a)
{
    a->how = KW_HOW_OTHER;
    return param_day(req, &a->day, &a->when);
}

static int check_skip(kw_host_req_t *req, action_args_t *a)
{
    a->how = KW_HOW_SKIPPED;
    return param_day(req, &a->day, &a->when);
}

/* "action_id": an action of the log (default the last one not undone), or
 * "touch": a logged call or meeting ("id" is the request's). */
static int check_undo(kw_host_req_t *req, action_args_t *a)
{
    if (kw_host_param_int(req, "action_id", 0, 1, INT64_MAX, &a->id) < 0 ||
        kw_host_param_int(req, "touch", 0, 1, INT64_MAX, &a->touch) < 0)
        return -1;
    if (a->id && a->touch) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "give 'action_id' or 'touch', not both");
        return -1;
    }
    return 0;
}

static kw_status_t run_snooze(action_ctx_t *c, char **e)
{
    return kw_snooze(c->store, c->target, c->a->until, e);
}

static kw_status_t run_unsnooze(action_ctx_t *c, char **e)
{
    return kw_unsnooze(c->store, c->target, e);
}

static kw_status_t run_ignore(action_ctx_t *c, char **e)
{
    return kw_ignore(c->store, c->target, e);
}

static kw_status_t run_unignore(action_ctx_t *c, char **e)
{
    return kw_unignore(c->store, c->target, e);
}

static kw_status_t run_cadence(action_ctx_t *c, char **e)
{
    return kw_set_cadence(c->store, c->target, (int)c->a->days, e);
}

static kw_status_t run_note(action_ctx_t *c, char **e)
{
    return kw_set_note(c->store, c->target, c->a->text, e);
}

static kw_status_t run_name(action_ctx_t *c, char **e)
{
    return kw_set_name(c->store, c->target, c->a->text, e);
}

static kw_status_t run_tier(action_ctx_t *c, char **e)
{
    kw_status_t st = kw_set_tier(c->store, c->target, c->a->tier, e);

    if (st == KW_OK)
        kw_json_member_string(c->b, "tier", kw_tier_to_string(c->a->tier));
    return st;
}

/* done / skip: the mark, then the day's list as it is now ("today"). */
static kw_status_t run_mark(action_ctx_t *c, char **e)
{
    kw_model_options_t o;
    kw_model_t *model = NULL;
    kw_today_t *t = NULL;
    kw_status_t st;

    memset(&o, 0, sizeof o);
    o.as_of = c->a->when;
    st = kw_model_load(c->store, &o, &model, e);
    if (st == KW_OK)
        st = kw_today_mark(c->store, model, &c->a->day, c->target, c->a->how, e);
    if (st == KW_OK)
        st = kw_today(c->store, model, &c->a->day, 0, &t, e);
    if (st == KW_OK) {
        json_builder_set_member_name(c->b, "today");
        json_builder_add_value(c->b, today_json(t, c->a->when));
    }
    kw_today_free(t);
    kw_model_free(model);
    return st;
}

static kw_status_t run_log(action_ctx_t *c, char **e)
{
    int64_t id = 0;
    kw_status_t st = kw_log_touch(c->store, c->target, c->a->source, c->a->when, c->a->text, &id, e);

    if (st != KW_OK)
        return st;
    json_builder_set_member_name(c->b, "touch");
    json_builder_add_int_value(c->b, id);
    kw_json_member_string(c->b, "kind", kw_source_to_string(c->a->source));
    kw_json_member_time(c->b, "when", c->a->when);
    json_builder_set_member_name(c->b, "planned");
    json_builder_add_boolean_value(c->b, c->a->when > c->req->now);
    return st;
}

static kw_status_t run_undo(action_ctx_t *c, char **e)
{
    kw_logged_touch_t *gone = NULL;
    kw_action_t *undone = NULL;
    kw_status_t st;

    if (c->a->touch) {
        st = kw_unlog_touch(c->store, c->a->touch, &gone, e);
        if (st != KW_OK)
            return st;
        json_builder_set_member_name(c->b, "touch");
        json_builder_begin_object(c->b);
        json_builder_set_member_name(c->b, "id");
        json_builder_add_int_value(c->b, gone->id);
        kw_json_member_string(c->b, "kind", kw_source_to_string(gone->source));
        kw_json_member_time(c->b, "time", gone->time);
        kw_json_member_string(c->b, "address", gone->address);
        kw_json_member_string(c->b, "target", gone->target);
        json_builder_end_object(c->b);
        kw_logged_touch_free(gone);
        return st;
    }
    st = kw_action_undo(c->store, c->a->id, &undone, e);
    if (st != KW_OK)
        return st;
    json_builder_set_member_name(c->b, "undone");
    json_builder_begin_object(c->b);
    json_builder_set_member_name(c->b, "id");
    json_builder_add_int_value(c->b, undone->id);
    kw_json_member_string(c->b, "kind", kw_action_kind_to_string(undone->kind));
    kw_json_member_string(c->b, "target", undone->target);
    kw_json_member_time(c->b, "time", undone->time);
    json_builder_end_object(c->b);
    kw_action_free(undone);
    return st;
}

enum {
    ACT_NO_TARGET = 1 /* no "target" (undo) */
};

typedef struct {
    const char *name;
    unsigned    flags;
    int (*check)(kw_host_req_t *req, action_args_t *a); /* NULL: only "target" */
    kw_status_t (*run)(action_ctx_t *c, char **error);
    /* run NULL: defined (the add-on may have the button), not in this version */
} host_action_t;

static const host_action_t actions[] = {
    { "snooze", 0, check_snooze, run_snooze },
    { "unsnooze", 0, NULL, run_unsnooze },
    { "ignore", 0, NULL, run_ignore },
    { "unignore", 0, NULL, run_unignore },
    { "cadence", 0, check_cadence, run_cadence },
    { "note", 0, check_note, run_note },
    { "name", 0, check_name, run_name },
    /* the daily routine */
    { "done", 0, check_done, run_mark },
    { "skip", 0, check_skip, run_mark },
    { "log-call", 0, check_log_call, run_log },
    { "log-meeting", 0, check_log_meeting, run_log },
    { "tier", 0, check_tier, run_tier },
    { "undo", ACT_NO_TARGET, check_undo, run_undo },
};

static JsonNode *cmd_action(kw_host_req_t *req)
{
    const char *name = NULL, *target = NULL;
    const host_action_t *act = NULL;
    action_args_t args;
    action_ctx_t ctx;
    kw_store_t *store = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

    memset(&args, 0, sizeof args);
    args.days = -1;
    if (kw_host_param_string(req, "action", 1, &name) < 0)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(actions) && !act; i++)
        if (strcmp(actions[i].name, name) == 0)
            act = &actions[i];
    if (!act) {
        char *clean = kw_sanitize_for_display(name);
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "unknown action '%s'", clean);
        kw_free(clean);
        return NULL;
    }
    if (!act->run) {
        char *what = g_strdup_printf("The action '%s'", name);
        not_available(req, what);
        g_free(what);
        return NULL;
    }
    if ((!(act->flags & ACT_NO_TARGET) && kw_host_param_string(req, "target", 1, &target) < 0) ||
        (act->check && act->check(req, &args) < 0) || open_store(req, KW_STORE_READ_WRITE, &store) < 0)
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_string(b, "action", name);
    if (target)
        kw_json_member_string(b, "target", target);
    ctx = (action_ctx_t){ req, store, target, &args, b };
    st = act->run(&ctx, &error);
    kw_store_close(store);
    if (failed(req, st, error)) {
        g_object_unref(b);
        return NULL;
    }
    if (args.until)
        kw_json_member_time(b, "until", args.until);
    if (args.days >= 0) {
        json_builder_set_member_name(b, "days");
        json_builder_add_int_value(b, args.days);
    }
    json_builder_end_object(b);
    return kw_host_finish(b);
}

/* ---- the tables ------------------------------------------------------------------ */

/* `pending`: defined, answered "not-available" in this version. */
const kw_host_command_t kw_host_model_commands[] = {
    { "overdue", cmd_overdue, 0 },
    { "for-sender", cmd_for_sender, 0 },
    { "relationship", cmd_relationship, 0 },
    { "timeline", cmd_timeline, 0 },
    { "action", cmd_action, 0 },
    { "today", cmd_today, 0 },
    { "review", cmd_review, 0 },
    { "record-sent", cmd_record_sent, 0 },
    { NULL, NULL, 0 },
};

static gboolean answered(const char *cmd)
{
    for (const kw_host_command_t *c = kw_host_model_commands; c->name; c++)
        if (strcmp(c->name, cmd) == 0)
            return !c->pending;
    return FALSE;
}

void kw_host_model_features(JsonBuilder *b)
{
    json_builder_set_member_name(b, "features");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "today");
    json_builder_add_boolean_value(b, answered("today"));
    json_builder_set_member_name(b, "review");
    json_builder_add_boolean_value(b, answered("review"));
    json_builder_set_member_name(b, "record_sent");
    json_builder_add_boolean_value(b, answered("record-sent"));
    json_builder_set_member_name(b, "actions");
    json_builder_begin_array(b);
    for (size_t i = 0; i < G_N_ELEMENTS(actions); i++)
        if (actions[i].run)
            json_builder_add_string_value(b, actions[i].name);
    json_builder_end_array(b);
    json_builder_end_object(b);
}
