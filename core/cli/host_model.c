/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_model.c — the native host's requests on the relationship model:
 *
 *   overdue       {by?, all?, state?, limit?, as_of?}  -> {as_of, total, truncated, items: [relationship]}
 *   for-sender    {address, as_of?}                    -> {tracked, relationship?}
 *   relationship  {target, as_of?}                     -> {relationship}
 *   timeline      {target, limit?, as_of?}             -> {target, total, truncated, items: [touch]}
 *   action        {action, target, ...}                -> {action, target, ...}
 *   today, review, record-sent                         -> error "not-available" (the daily routine
 *                                                         brings them; the add-on's UI is ready)
 *
 * A request that reads loads the model once (kw_model_load, as of the
 * request's as_of) in one read transaction of the store, so it answers from
 * a consistent snapshot while a sync writes. A relationship is the one JSON
 * description the command prints (kw_cli_relationship_json: the model's
 * facts and their words, in the request's language) plus what only a mail
 * client shows: the hint line above a message and its action, both from
 * the wording module, as in the Claws plugin's hint bar; a touch is the
 * command's too (kw_cli_touch_json). Everything from mail is sanitised.
 *
 * Wiring the daily routine when the library has it (status.features
 * follows from the two tables at the end of this file):
 *   - today / review: in cmd_today(), cmd_review(), replace the
 *     not_available() line by model_open() + the library call + a builder
 *     (see cmd_relationship()), and clear the row's `pending` flag;
 *   - record-sent: the parameters are checked already; open the store
 *     read-write (open_store) and call the library's record function;
 *   - an action (done, skip, log-call, log-meeting, tier, undo): give its
 *     row in actions[] a `check` for its parameters (e.g. tier's "tier") and
 *     a `run` calling the library; cmd_action() does the rest. */
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

/* Load the model as of the request's "as_of" (the default cadence is the
 * store's, as for the command). 0, or -1 after an error answer. */
static int model_open(kw_host_req_t *req, host_model_t *m)
{
    kw_model_options_t o;
    char *error = NULL;
    kw_status_t st;

    memset(m, 0, sizeof *m);
    memset(&o, 0, sizeof o);
    if (param_as_of(req, &m->as_of) < 0 || open_store(req, KW_STORE_READ_ONLY, &m->store) < 0)
        return -1;
    o.as_of = m->as_of;
    st = kw_model_load(m->store, &o, &m->model, &error);
    if (failed(req, st, error)) {
        model_close(m);
        return -1;
    }
    return 0;
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

/* ---- the daily routine (not in this version) ----------------------------------- */

static JsonNode *not_available(kw_host_req_t *req, const char *what)
{
    return kw_host_fail(req, KW_HOST_E_NOT_AVAILABLE,
                        "%s is not available in keepwarm %s yet: it comes with the daily routine (Today)",
                        what, KW_VERSION);
}

static JsonNode *cmd_today(kw_host_req_t *req)
{
    return not_available(req, "Today's list");
}

static JsonNode *cmd_review(kw_host_req_t *req)
{
    return not_available(req, "The weekly review");
}

/* compose.onAfterSend: {message_id, to: [...], cc?}. The parameters are
 * checked now, so that the add-on's side is exercised; storing the sent
 * message as a touch comes with Today (until then the next sync reads it
 * from the Sent folder). */
static JsonNode *cmd_record_sent(kw_host_req_t *req)
{
    const char *message_id = NULL;
    char **to = NULL, **cc = NULL;
    int bad = kw_host_param_string(req, "message_id", 1, &message_id) < 0 ||
              kw_host_param_strv(req, "to", &to) < 0 || kw_host_param_strv(req, "cc", &cc) < 0;

    g_strfreev(to);
    g_strfreev(cc);
    if (bad)
        return NULL;
    return not_available(req, "Recording a sent message");
}

/* ---- actions --------------------------------------------------------------------- */

/* An action's parameters, checked before the store is opened for writing. */
typedef struct {
    int64_t     until; /* snooze */
    int64_t     days;  /* snooze (echoed), cadence; -1 = none */
    const char *text;  /* note, name */
} action_args_t;

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

static kw_status_t run_snooze(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    return kw_snooze(s, t, a->until, e);
}

static kw_status_t run_unsnooze(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    (void)a;
    return kw_unsnooze(s, t, e);
}

static kw_status_t run_ignore(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    (void)a;
    return kw_ignore(s, t, e);
}

static kw_status_t run_unignore(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    (void)a;
    return kw_unignore(s, t, e);
}

static kw_status_t run_cadence(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    return kw_set_cadence(s, t, (int)a->days, e);
}

static kw_status_t run_note(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    return kw_set_note(s, t, a->text, e);
}

static kw_status_t run_name(kw_store_t *s, const char *t, const action_args_t *a, char **e)
{
    return kw_set_name(s, t, a->text, e);
}

typedef struct {
    const char *name;
    int (*check)(kw_host_req_t *req, action_args_t *a); /* NULL: only "target" */
    kw_status_t (*run)(kw_store_t *store, const char *target, const action_args_t *a, char **error);
    /* run NULL: defined (the add-on has the button), not in this version */
} host_action_t;

static const host_action_t actions[] = {
    { "snooze", check_snooze, run_snooze },
    { "unsnooze", NULL, run_unsnooze },
    { "ignore", NULL, run_ignore },
    { "unignore", NULL, run_unignore },
    { "cadence", check_cadence, run_cadence },
    { "note", check_note, run_note },
    { "name", check_name, run_name },
    /* the daily routine */
    { "done", NULL, NULL },
    { "skip", NULL, NULL },
    { "log-call", NULL, NULL },
    { "log-meeting", NULL, NULL },
    { "tier", NULL, NULL },
    { "undo", NULL, NULL },
};

static JsonNode *cmd_action(kw_host_req_t *req)
{
    const char *name = NULL, *target = NULL;
    const host_action_t *act = NULL;
    action_args_t args = { 0, -1, NULL };
    kw_store_t *store = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

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
    if (kw_host_param_string(req, "target", 1, &target) < 0 || (act->check && act->check(req, &args) < 0) ||
        open_store(req, KW_STORE_READ_WRITE, &store) < 0)
        return NULL;
    st = act->run(store, target, &args, &error);
    kw_store_close(store);
    if (failed(req, st, error))
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_json_member_string(b, "action", name);
    kw_json_member_string(b, "target", target);
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
    { "today", cmd_today, 1 },
    { "review", cmd_review, 1 },
    { "record-sent", cmd_record_sent, 1 },
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
