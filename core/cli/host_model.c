/* host_model.c — the native host's requests on the relationship model: the
 * one file that talks to the model API for the Thunderbird add-on.
 *
 *   overdue       {by?, all?, state?, limit?, as_of?}  -> {as_of, total, truncated, items: [relationship]}
 *   for-sender    {address, as_of?}                    -> {tracked, relationship?}
 *   relationship  {target, as_of?}                     -> {relationship}
 *   timeline      {target, limit?, as_of?}             -> {target, total, truncated, items: [touch]}
 *   action        {action, target, until?|days?|text?} -> {action, target, ...}
 *   today, review, record-sent                         -> error "not-available" (the daily routine
 *                                                         brings them; the add-on's UI is ready)
 *
 * A relationship carries the model's facts plus the words the add-on shows,
 * in the request's language: the state label, "93 days", the rhythm, and
 * the hint line the Claws plugin shows above a message (plugin/view_model.c,
 * the wording shared with the plugin until the model's wording module
 * replaces it). Everything from mail is sanitised for display.
 *
 * Porting to another model API touches this file only. */
#include <string.h>
#include <glib.h>

#include "host.h"
#include "view_model.h"

#define DAY 86400

/* ---- helpers ------------------------------------------------------------- */

/* The store, or an error answer: "not-synced" when nothing was synced yet. */
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

/* "as_of" (a date, "@UNIX" or "now"), default the request's time. */
static int param_as_of(kw_host_req_t *req, int64_t *as_of)
{
    const char *text = NULL;

    *as_of = req->now;
    if (kw_host_param_string(req, "as_of", 0, &text) < 0)
        return -1;
    if (text && (kw_cli_parse_time(text, as_of) != 0 || *as_of <= 0)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'as_of' is not a date: '%s'", text);
        return -1;
    }
    return 0;
}

static void query_init(kw_query_options_t *q, int64_t as_of)
{
    memset(q, 0, sizeof *q);
    q->as_of = as_of;
    q->state_filter = -1;
}

static const char *hint_action_name(kwv_hint_action_t a)
{
    switch (a) {
    case KWV_HINT_WRITE:       return "write";
    case KWV_HINT_REPLY:       return "reply";
    case KWV_HINT_SNOOZE_WEEK: return "snooze-week";
    case KWV_HINT_DETAILS:     return "details";
    default:                   return NULL;
    }
}

/* Move a g_free'd display string into the builder. */
static void add_owned(JsonBuilder *b, const char *name, char *s)
{
    kw_host_add_string(b, name, s);
    g_free(s);
}

/* After a library call: on failure the error answer (error freed), and TRUE. */
static gboolean failed(kw_host_req_t *req, kw_status_t st, char *error)
{
    if (st != KW_OK)
        kw_host_fail_status(req, st, error);
    kw_free(error);
    return st != KW_OK;
}

/* The request's "target" and "as_of", and the store opened read-only. */
static int target_request(kw_host_req_t *req, const char **target, int64_t *as_of, kw_store_t **store)
{
    if (kw_host_param_string(req, "target", 1, target) < 0 || param_as_of(req, as_of) < 0)
        return -1;
    return open_store(req, KW_STORE_READ_ONLY, store);
}

/* One relationship: the model's facts and the words for them. */
static void add_relationship(JsonBuilder *b, const kw_relationship_t *r, int64_t as_of)
{
    kwv_hint_action_t action = kwv_hint_action(r);
    char *title = kw_sanitize_for_display(r->name && *r->name ? r->name : r->key);

    json_builder_begin_object(b);
    kw_host_add_string(b, "kind", r->kind == KW_TARGET_ORG ? "org" : "person");
    kw_host_add_clean(b, "key", r->key);
    kw_host_add_clean(b, "name", r->name);
    kw_host_add_string(b, "title", title);
    json_builder_set_member_name(b, "people");
    json_builder_begin_array(b);
    for (size_t i = 0; r->people && r->people[i]; i++) {
        char *c = kw_sanitize_for_display(r->people[i]);
        json_builder_add_string_value(b, c);
        kw_free(c);
    }
    json_builder_end_array(b);
    kw_host_add_clean(b, "main_person", r->main_person ? r->main_person : r->key);
    kw_host_add_string(b, "state", kw_state_to_string(r->state));
    kw_host_add_string(b, "state_label", kwv_state_label(r->state));
    kw_host_add_string(b, "colour", kwv_state_colour(r->state));
    kw_host_add_time(b, "last_touch", r->last_touch);
    kw_host_add_time(b, "last_inbound", r->last_inbound);
    kw_host_add_time(b, "last_outbound", r->last_outbound);
    json_builder_set_member_name(b, "days_since");
    if (r->last_touch || r->last_inbound)
        json_builder_add_int_value(b, r->days_since);
    else
        json_builder_add_null_value(b);
    add_owned(b, "since_text", r->last_touch ? kwv_days_text(r->days_since) : NULL);
    json_builder_set_member_name(b, "cadence_days");
    json_builder_add_int_value(b, r->cadence_days);
    json_builder_set_member_name(b, "cadence_user_set");
    json_builder_add_boolean_value(b, r->cadence_user_set != 0);
    add_owned(b, "cadence_text", kwv_cadence_text(r->cadence_days));
    kw_host_add_time(b, "due_date", r->due_date);
    kw_host_add_time(b, "snoozed_until", r->snoozed_until);
    json_builder_set_member_name(b, "touches");
    json_builder_add_int_value(b, r->touches);
    json_builder_set_member_name(b, "score");
    json_builder_add_double_value(b, r->score);
    kw_host_add_clean(b, "reason", r->reason);
    kw_host_add_clean(b, "note", r->note);
    add_owned(b, "hint", kwv_hint_text(r, as_of));
    kw_host_add_string(b, "hint_action", hint_action_name(action));
    kw_host_add_string(b, "hint_action_label", kwv_hint_action_label(action));
    json_builder_end_object(b);
    kw_free(title);
}

/* ---- overdue --------------------------------------------------------------- */

static JsonNode *cmd_overdue(kw_host_req_t *req)
{
    const char *by = NULL, *state = NULL;
    gboolean all = FALSE;
    int64_t limit = 500;
    kw_query_options_t q;
    kw_store_t *store = NULL;
    kw_relationship_list_t *list = NULL;
    char *error = NULL, *as_of_iso;
    JsonBuilder *b;
    kw_status_t st;
    int64_t as_of;

    if (kw_host_param_string(req, "by", 0, &by) < 0 || kw_host_param_string(req, "state", 0, &state) < 0 ||
        kw_host_param_bool(req, "all", &all) < 0 || kw_host_param_int(req, "limit", 0, 1, 5000, &limit) < 0 ||
        param_as_of(req, &as_of) < 0)
        return NULL;
    query_init(&q, as_of);
    if (by && strcmp(by, "org") != 0 && strcmp(by, "person") != 0)
        return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'by' is org or person");
    q.by = by && strcmp(by, "person") == 0 ? KW_BY_PERSON : KW_BY_ORG;
    if (state) {
        kw_state_t s;
        if (kw_state_from_string(state, &s) != KW_OK)
            return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "unknown state '%s'", state);
        q.state_filter = (int)s;
    }
    q.include_all = all;
    if (open_store(req, KW_STORE_READ_ONLY, &store) < 0)
        return NULL;
    st = kw_relationships_query(store, &q, &list, &error);
    kw_store_close(store);
    if (failed(req, st, error))
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    as_of_iso = kw_cli_iso_time(as_of);
    add_owned(b, "as_of", as_of_iso);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64)list->count);
    json_builder_set_member_name(b, "truncated");
    json_builder_add_boolean_value(b, list->count > (size_t)limit);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (size_t i = 0; i < list->count && i < (size_t)limit; i++)
        add_relationship(b, &list->items[i], as_of);
    json_builder_end_array(b);
    json_builder_end_object(b);
    kw_relationship_list_free(list);
    return kw_host_finish(b);
}

/* ---- one relationship -------------------------------------------------------- */

/* The address inside "Jane Doe <jane@acme.com>" (or the text itself), lower-case. */
static char *bare_address(const char *text)
{
    const char *lt = strrchr(text, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    char *a = lt && gt ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) : g_strdup(text);
    char *lower = g_ascii_strdown(g_strstrip(a), -1);
    g_free(a);
    return lower;
}

static JsonNode *cmd_for_sender(kw_host_req_t *req)
{
    const char *text = NULL;
    kw_query_options_t q;
    kw_store_t *store = NULL;
    kw_relationship_t *rel = NULL;
    char *addr, *org;
    JsonBuilder *b;
    int64_t as_of;

    if (kw_host_param_string(req, "address", 1, &text) < 0 || param_as_of(req, &as_of) < 0)
        return NULL;
    addr = bare_address(text);
    if (!strchr(addr, '@')) {
        g_free(addr);
        return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'address' is not an e-mail address");
    }
    if (open_store(req, KW_STORE_READ_ONLY, &store) < 0) {
        g_free(addr);
        return NULL;
    }
    query_init(&q, as_of);
    /* As the Claws hint bar: the organisation first (lists group by it),
     * then the person; anything else (lists, automated mail, unknown) is
     * no relationship, and the add-on shows nothing. */
    org = kw_org_for_address(addr);
    if (org && kw_relationship_get(store, org, &q, &rel, NULL) != KW_OK)
        rel = NULL;
    if (!rel && kw_relationship_get(store, addr, &q, &rel, NULL) != KW_OK)
        rel = NULL;
    kw_free(org);
    g_free(addr);
    kw_store_close(store);

    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "tracked");
    json_builder_add_boolean_value(b, rel != NULL && rel->state != KW_STATE_IGNORED);
    if (rel) {
        json_builder_set_member_name(b, "relationship");
        add_relationship(b, rel, as_of);
    }
    json_builder_end_object(b);
    kw_relationship_free(rel);
    return kw_host_finish(b);
}

static JsonNode *cmd_relationship(kw_host_req_t *req)
{
    const char *target = NULL;
    kw_query_options_t q;
    kw_store_t *store = NULL;
    kw_relationship_t *rel = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;
    int64_t as_of;

    if (target_request(req, &target, &as_of, &store) < 0)
        return NULL;
    query_init(&q, as_of);
    st = kw_relationship_get(store, target, &q, &rel, &error);
    kw_store_close(store);
    if (failed(req, st, error))
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "relationship");
    add_relationship(b, rel, as_of);
    json_builder_end_object(b);
    kw_relationship_free(rel);
    return kw_host_finish(b);
}

static JsonNode *cmd_timeline(kw_host_req_t *req)
{
    const char *target = NULL;
    int64_t limit = 100, as_of;
    kw_store_t *store = NULL;
    kw_touch_list_t *tl = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

    if (kw_host_param_int(req, "limit", 0, 1, 5000, &limit) < 0 ||
        target_request(req, &target, &as_of, &store) < 0)
        return NULL;
    st = kw_relationship_timeline(store, target, as_of, &tl, &error);
    kw_store_close(store);
    if (failed(req, st, error))
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_host_add_clean(b, "target", target);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64)tl->count);
    json_builder_set_member_name(b, "truncated");
    json_builder_add_boolean_value(b, tl->count > (size_t)limit);
    json_builder_set_member_name(b, "items");
    json_builder_begin_array(b);
    for (size_t i = 0; i < tl->count && i < (size_t)limit; i++) {
        const kw_touch_t *t = &tl->items[i];
        json_builder_begin_object(b);
        kw_host_add_time(b, "time", t->time);
        kw_host_add_clean(b, "address", t->address);
        kw_host_add_string(b, "direction", t->inbound && t->outbound ? "both" : t->inbound ? "in" : "out");
        kw_host_add_clean(b, "subject", t->subject);
        add_owned(b, "ago_text", kwv_ago_text(kwv_days_between(t->time, as_of)));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    kw_touch_list_free(tl);
    return kw_host_finish(b);
}

/* ---- actions --------------------------------------------------------------- */

/* The actions of the daily routine; the request and the add-on's buttons
 * exist, the store does not have them yet. */
static const char *const routine_actions[] = { "done", "skip", "log-call", "log-meeting", "tier", "undo",
                                               NULL };

static JsonNode *not_available(kw_host_req_t *req, const char *what)
{
    return kw_host_fail(req, KW_HOST_E_NOT_AVAILABLE,
                        "%s is not available in keepwarm %s yet: it comes with the daily routine (Today)",
                        what, KW_VERSION);
}

/* "until": a date or a duration ("2w"); or "days". The result in *until. */
static int snooze_until(kw_host_req_t *req, int64_t *until)
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
    if (days)
        *until = req->now + days * DAY;
    else if (!text) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'until' (a date or 2w) or 'days' is missing");
        return -1;
    } else if (kw_cli_parse_duration(text, &secs) == 0)
        *until = req->now + secs;
    else if (kw_cli_parse_time(text, until) != 0) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST,
                     "'until' is neither a date (2024-06-01) nor a duration (10d, 3w)");
        return -1;
    }
    if (*until <= req->now) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'until' is in the past");
        return -1;
    }
    return 0;
}

static JsonNode *cmd_action(kw_host_req_t *req)
{
    const char *action = NULL, *target = NULL, *text = NULL;
    int64_t until = 0, days = -1;
    kw_store_t *store = NULL;
    char *error = NULL;
    kw_status_t st;
    JsonBuilder *b;

    if (kw_host_param_string(req, "action", 1, &action) < 0)
        return NULL;
    if (g_strv_contains(routine_actions, action)) {
        char *what = g_strdup_printf("the action '%s'", action);
        not_available(req, what);
        g_free(what);
        return NULL;
    }
    if (kw_host_param_string(req, "target", 1, &target) < 0)
        return NULL;
    /* Check the parameters before the store is opened for writing. */
    if (strcmp(action, "snooze") == 0) {
        if (snooze_until(req, &until) < 0)
            return NULL;
    } else if (strcmp(action, "cadence") == 0) {
        if (kw_host_param_int(req, "days", 1, 0, 3650, &days) < 0)
            return NULL;
    } else if (strcmp(action, "note") == 0) {
        if (kw_host_param_string(req, "text", 1, &text) < 0)
            return NULL;
        if (strlen(text) > 4000)
            return kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "a note has at most 4000 bytes");
    } else if (strcmp(action, "unsnooze") != 0 && strcmp(action, "ignore") != 0 &&
               strcmp(action, "unignore") != 0) {
        char *clean = kw_sanitize_for_display(action);
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "unknown action '%s'", clean);
        kw_free(clean);
        return NULL;
    }
    if (open_store(req, KW_STORE_READ_WRITE, &store) < 0)
        return NULL;
    if (strcmp(action, "snooze") == 0)
        st = kw_snooze(store, target, until, &error);
    else if (strcmp(action, "unsnooze") == 0)
        st = kw_unsnooze(store, target, &error);
    else if (strcmp(action, "ignore") == 0)
        st = kw_ignore(store, target, &error);
    else if (strcmp(action, "unignore") == 0)
        st = kw_unignore(store, target, &error);
    else if (strcmp(action, "cadence") == 0)
        st = kw_set_cadence(store, target, (int)days, &error);
    else
        st = kw_set_note(store, target, text, &error);
    kw_store_close(store);
    if (failed(req, st, error))
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    kw_host_add_string(b, "action", action);
    kw_host_add_clean(b, "target", target);
    if (until)
        kw_host_add_time(b, "until", until);
    if (days >= 0) {
        json_builder_set_member_name(b, "days");
        json_builder_add_int_value(b, days);
    }
    json_builder_end_object(b);
    return kw_host_finish(b);
}

/* ---- the daily routine (not in this version) ----------------------------------- */

static JsonNode *cmd_today(kw_host_req_t *req)
{
    return not_available(req, "Today's list");
}

static JsonNode *cmd_review(kw_host_req_t *req)
{
    return not_available(req, "The weekly review");
}

/* compose.onAfterSend: {message_id, to: [...], cc?, date?}. The parameters are
 * checked now so that the add-on's side is exercised; storing the sent
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

const kw_host_command_t kw_host_model_commands[] = {
    { "overdue", cmd_overdue },
    { "for-sender", cmd_for_sender },
    { "relationship", cmd_relationship },
    { "timeline", cmd_timeline },
    { "action", cmd_action },
    { "today", cmd_today },
    { "review", cmd_review },
    { "record-sent", cmd_record_sent },
    { NULL, NULL },
};
