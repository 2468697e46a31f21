/* SPDX-License-Identifier: GPL-3.0-or-later */
/* touches.h — internal: writing logged and calendar touches (touches.c).
 *
 * A touch is a row of `touches` mirrored as an interaction of its contact
 * (message_id = -id, direction 3 = both ways, source = its kind), so that
 * the model, the aggregates and every reader see it like mail. Each
 * function below works inside the caller's write transaction
 * (kw_store_write_begin) and marks the contact for the model
 * (kw_store_mark_contact). */
#ifndef KW_TOUCHES_H
#define KW_TOUCHES_H

#include <stdint.h>
#include "keepwarm.h"

/* The origins of a touch (touches.origin). */
enum { KW_TOUCH_LOGGED = 0, KW_TOUCH_CALENDAR = 1 };

/* Longest note kept, in bytes. */
#define KW_TOUCH_NOTE_MAX 4096

/* `created`: when it became known (0: now). A touch later than a model's
 * as_of is planned only if it was known by then: a call logged afterwards
 * was never "planned" in a replay of the past. */
kw_status_t kw_touch_insert(kw_store_t *store, int64_t contact_id, const char *target,
                            kw_source_t source, int64_t time, const char *note, int origin,
                            const char *uid, int64_t rid, int64_t created, int64_t *id_out,
                            char **error);

/* Move a touch to another time (and note); no-op when both are equal. */
kw_status_t kw_touch_update(kw_store_t *store, int64_t id, int64_t time, const char *note,
                            char **error);

/* Remove a touch and its interaction. KW_ERR_NOT_FOUND when there is none. */
kw_status_t kw_touch_delete(kw_store_t *store, int64_t id, char **error);

/* Mirror every touch into interactions again (after
 * kw_store_rebuild_interactions() emptied them). */
kw_status_t kw_touches_mirror_all(kw_store_t *store, char **error);

/* A copy of `note` fit to keep: valid UTF-8 (else NULL and *bad = 1),
 * trimmed, at most KW_TOUCH_NOTE_MAX bytes cut on a character, NULL when
 * empty. (transfer full, g_free) */
char *kw_touch_clean_note(const char *note, int *bad);

#endif
