/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw_public.h — internal: marks the functions that libkeepwarm exports.
 * The library is compiled with -fvisibility=hidden; every public kw_ function
 * (declared in keepwarm.h) is defined with KW_PUBLIC. */
#ifndef KW_PUBLIC_H
#define KW_PUBLIC_H

#define KW_PUBLIC __attribute__((visibility("default")))

#endif
