# SPDX-License-Identifier: GPL-3.0-or-later
# tests/lib/demo.mk — `make demo` (included by the top-level Makefile).
# Installs missing Debian packages (deps), builds (all), then runs the demo:
# a generated mailbox served by a throwaway Dovecot on 127.0.0.1, synced over
# implicit TLS, contacts and overdue relationships printed; nothing left running.
# `all` runs after `deps` (not in parallel with it) because it needs the -dev packages.
.PHONY: demo
demo: deps
	@$(MAKE) --no-print-directory all
	KW_BUILD=$(CURDIR)/$(B) python3 tests/lib/demo.py $(DEMO_FLAGS)
