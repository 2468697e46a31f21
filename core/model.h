/* SPDX-License-Identifier: GPL-3.0-or-later */
/* model.h — internal: what the rest of the library needs from model.c. */
#ifndef KW_MODEL_H
#define KW_MODEL_H

#include <glib.h>
#include "keepwarm.h"

/* Bring the kept aggregates up to date: recompute the contacts marked in
 * agg_dirty and their organisations (or everything, when the aggregates are
 * not valid), in one BEGIN IMMEDIATE transaction. Cheap when nothing is
 * marked (one query). Called by kw_store_close() on read-write stores.
 * Returns KW_OK, KW_ERR_USAGE (read-only), KW_ERR_STORE. */
kw_status_t kw_model_refresh_aggregates(kw_store_t *store, char **error);

/* The settings key of a target (what kw_model_resolve() gives, for the
 * actions): (transfer full, g_free) in *key_out. Loads what resolution needs:
 * the contacts for an address or a domain, the whole model for a name (who
 * is a person). Same statuses as kw_model_resolve(). */
kw_status_t kw_model_resolve_key(kw_store_t *store, const char *target, char **key_out,
                                 kw_target_kind_t *kind_out, char **error);

/* The store a model reads (transfer none). */
kw_store_t *kw_model_store(kw_model_t *model);

/* Append (int64_t) the contact ids a target's touches can be with: every
 * contact at an organisation (whatever it is), or the person. */
void kw_model_target_contact_ids(kw_model_t *model, kw_target_kind_t kind, const char *key,
                                 GArray *ids);

/* 1 when `email` (normalised) is a known contact who is a person (not the
 * user, a colleague, a list or an automated address); its id in *id_out. */
int kw_model_person_contact(kw_model_t *model, const char *email, int64_t *id_out);

/* 1 when `email` (normalised) is one of the user's addresses. */
int kw_model_is_identity(kw_model_t *model, const char *email);

/* Who a touch logged for TARGET is with: the person, or for an organisation
 * the person one writes to there. *key_out: the target's key (g_free),
 * *kind_out its kind. Same statuses as kw_model_relationship(). */
kw_status_t kw_model_touch_person(kw_model_t *model, const char *target, int64_t *contact_id,
                                  char **key_out, kw_target_kind_t *kind_out, char **error);

/* From now on answer from the user's own mail only: no team evidence is
 * looked up (team_export.c shares the user's own view, and skips the cost
 * of looking up every relationship's team touches). */
void kw_model_own_view(kw_model_t *model);

/* The display name an address's own mail gives it (not a name the user set
 * with kw_set_name), or NULL (transfer none, valid while the model lives).
 * For what is shared with the team (team_export.c). */
const char *kw_model_mail_name(kw_model_t *model, const char *address);

/* The organisation key of an address the model knows (its registrable
 * domain, or the address itself for free mail), from the model's cache:
 * no public-suffix lookup per call. NULL for an unknown address
 * (transfer none, valid while the model lives). */
const char *kw_model_org_of(kw_model_t *model, const char *address);

#endif
