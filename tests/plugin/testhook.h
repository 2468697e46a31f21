/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testhook.h — the end-to-end test's introspection, built only into the
 * test build of the plugin (plugin/Makefile.local: keepwarm-test.so); the
 * shipped keepwarm.so has none of it. plugin_main.c calls these two at its
 * KW_TEST_HOOK points. */
#ifndef KW_PLUGIN_TESTHOOK_H
#define KW_PLUGIN_TESTHOOK_H

#include <glib.h>
#include "kw_worker.h"

/* Read the test's environment: the dump file, the command fifo and the
 * shorter delays of `timing` (called before the workers start). */
void kw_testhook_init(KwWorkerTiming *timing);
/* The last dump ("unloaded", whether the folder view is back in Claws'
 * layout when `interactive`), then stop. */
void kw_testhook_done(gboolean interactive);

#endif
