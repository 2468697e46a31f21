/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tiers.c — importance tiers (the ABC classification): names, the rhythm a
 * tier assumes while history is thin, and suggestions from volume. The
 * tier itself is a setting of the target (actions.c, kw_set_tier) that the
 * model reads (model.c, entity_settings). */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "keepwarm.h"
#include "kw_public.h"
#include "store.h"

/* The default rhythm of a tier: an A customer is looked after monthly, a B
 * customer every two months (the built-in default), a C customer quarterly
 * and a bit. Only while a relationship has too little history to learn one. */
#define TIER_A_DAYS 30
#define TIER_B_DAYS 60
#define TIER_C_DAYS 120

/* The classic ABC split: the top 20% are A, the next 30% B, the rest C. */
#define SHARE_A_PERCENT 20
#define SHARE_AB_PERCENT 50

KW_PUBLIC const char *kw_tier_to_string(kw_tier_t tier)
{
    switch (tier) {
    case KW_TIER_A: return "A";
    case KW_TIER_B: return "B";
    case KW_TIER_C: return "C";
    default: return "none";
    }
}

KW_PUBLIC kw_status_t kw_tier_from_string(const char *name, kw_tier_t *tier_out)
{
    kw_tier_t t;
    if (!name)
        return KW_ERR_USAGE;
    if (g_ascii_strcasecmp(name, "a") == 0)
        t = KW_TIER_A;
    else if (g_ascii_strcasecmp(name, "b") == 0)
        t = KW_TIER_B;
    else if (g_ascii_strcasecmp(name, "c") == 0)
        t = KW_TIER_C;
    else if (g_ascii_strcasecmp(name, "none") == 0 || strcmp(name, "-") == 0)
        t = KW_TIER_NONE;
    else
        return KW_ERR_USAGE;
    if (tier_out)
        *tier_out = t;
    return KW_OK;
}

KW_PUBLIC int kw_tier_default_cadence(kw_tier_t tier)
{
    switch (tier) {
    case KW_TIER_A: return TIER_A_DAYS;
    case KW_TIER_B: return TIER_B_DAYS;
    case KW_TIER_C: return TIER_C_DAYS;
    default: return 0;
    }
}

static int cmp_by_exchanges(const void *a, const void *b)
{
    const kw_tier_suggestion_t *x = a, *y = b;
    if (x->exchanges != y->exchanges)
        return x->exchanges > y->exchanges ? -1 : 1;
    return strcmp(x->key, y->key);
}

KW_PUBLIC kw_status_t kw_model_suggest_tiers(kw_model_t *model, kw_tier_suggestion_list_t **out,
                                             char **error)
{
    kw_list_options_t lo = { .by = KW_BY_ORG,
                             .states = KW_STATES_ALL & ~KW_STATE_BIT(KW_STATE_IGNORED) };
    kw_relationship_list_t *rels = NULL;
    kw_tier_suggestion_list_t *list;
    size_t n, cut_a, cut_ab, group_start = 0;
    kw_status_t s;

    if (!model || !out) {
        kw_set_error(error, "kw_model_suggest_tiers: a model is required");
        return KW_ERR_USAGE;
    }
    *out = NULL;
    s = kw_model_relationships(model, &lo, &rels, error);
    if (s != KW_OK)
        return s;
    n = rels->count;
    list = g_new0(kw_tier_suggestion_list_t, 1);
    list->count = n;
    list->items = g_new0(kw_tier_suggestion_t, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const kw_relationship_t *r = &rels->items[i];
        kw_tier_suggestion_t *t = &list->items[i];
        t->kind = r->kind;
        t->key = g_strdup(r->key);
        t->display_name = g_strdup(r->display_name);
        t->exchanges = r->touches;
        t->current = r->tier;
    }
    kw_relationship_list_free(rels);
    qsort(list->items, n, sizeof *list->items, cmp_by_exchanges);
    /* positions where A and B end (rounded up: one relationship of five is A) */
    cut_a = (n * SHARE_A_PERCENT + 99) / 100;
    cut_ab = (n * SHARE_AB_PERCENT + 99) / 100;
    for (size_t i = 0; i < n; i++) {
        kw_tier_suggestion_t *t = &list->items[i];
        /* equal volume, equal tier: a group takes the tier of its first place */
        if (i == 0 || t->exchanges != list->items[i - 1].exchanges)
            group_start = i;
        t->suggested = t->exchanges == 0 ? KW_TIER_C
                       : group_start < cut_a ? KW_TIER_A
                       : group_start < cut_ab ? KW_TIER_B : KW_TIER_C;
    }
    *out = list;
    return KW_OK;
}

KW_PUBLIC void kw_tier_suggestion_list_free(kw_tier_suggestion_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        g_free(list->items[i].key);
        g_free(list->items[i].display_name);
    }
    g_free(list->items);
    g_free(list);
}
