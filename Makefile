# SPDX-License-Identifier: GPL-3.0-or-later
# keepwarm — top-level GNU Makefile (non-recursive).
# Each directory contributes a fragment (*/Makefile.local) included below.
# Targets: all, demo, check, bench, fuzz, install, uninstall, deb, clean, deps.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
LOCALEDIR   ?= $(DATADIR)/locale
DESTDIR     ?=

VERSION     := 0.1.0
SOVERSION   := 0
B           := build

CC          ?= cc
PKG_CONFIG  ?= pkg-config
WARN        := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN        += -Werror
endif
OPT         ?= -O2 -g
CFLAGS      ?= $(OPT)
ifeq ($(SANITIZE),1)
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS      += $(SAN_FLAGS)
LDFLAGS     += $(SAN_FLAGS)
B           := build-san
endif
ifeq ($(SANITIZE),thread)
SAN_FLAGS   := -fsanitize=thread
CFLAGS      += $(SAN_FLAGS)
LDFLAGS     += $(SAN_FLAGS)
B           := build-tsan
endif

# --- dependencies, only through pkg-config ---------------------------------
CORE_PKGS   := libetpan gmime-3.0 sqlite3 glib-2.0 gnutls libpsl libical libpq
CLI_PKGS    := json-glib-1.0
# The desktop keyring: only the command's private module keepwarm-keyring.so links it.
KEYRING_PKGS := libsecret-1
PLUGIN_PKGS := claws-mail gtk+-3.0
# Debian packages that `make deps` installs when something is missing.
DEB_BUILD   := build-essential pkg-config libetpan-dev libgmime-3.0-dev libsqlite3-dev \
               libglib2.0-dev libgnutls28-dev libpsl-dev publicsuffix libjson-glib-dev gettext \
               libsecret-1-dev python3 libical-dev libpq-dev
DEB_PLUGIN  := claws-mail libclaws-mail-dev libgtk-3-dev fonts-dejavu-core
# (the libraries after sasl2-bin: what Cyrus IMAP and Courier-IMAP link; the
# servers themselves are fetched and unpacked by tests/lib/imapservers.py;
# claws-mail-vcalendar-plugin: the Claws test of the Today section imports its
# calendar)
DEB_TEST    := dovecot-imapd python3 perl openssl xvfb xdotool imagemagick x11-utils \
               valgrind faketime sqlite3 procps locales clang-14 libclang-rt-14-dev \
               debhelper dpkg-dev fakeroot lintian libsasl2-modules ca-certificates \
               sasl2-bin libical3 libicu72 libjansson4 libldap-2.5-0 libpcre3 libpq5 \
               libwrap0 libxml2 libxapian30 \
               libcourier-unicode4 libgamin0 libgdbm6 libidn12 libltdl7 \
               thunderbird thunderbird-l10n-de dbus gnome-keyring nodejs \
               claws-mail-vcalendar-plugin postgresql postgresql-client
DEB_ALL     := $(DEB_BUILD) $(DEB_PLUGIN) $(DEB_TEST)

.PHONY: all deps demo check clean install uninstall bench fuzz deb
all:

# Install missing Debian packages (needs root; prints what it would do otherwise).
deps:
	@sh tests/lib/install-deps.sh $(DEB_ALL)

# pkg-config checks fail early with a clear message instead of a compiler error.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
pc_check  = $(if $(shell $(PKG_CONFIG) --exists $(1) && echo y),,$(error missing pkg-config module(s) '$(1)': run 'make deps' (as root) or install the -dev packages listed in README.md))

include core/Makefile.local
-include plugin/Makefile.local
-include plugin/thunderbird/Makefile.local
-include tests/Makefile.local
-include tests/lib/demo.mk
-include tests/bench/Makefile.local
-include tests/fuzz/Makefile.local
-include packaging/Makefile.local

clean:
	rm -rf build build-san build-tsan

# Automatic header dependencies.
# (files only, and not below other-servers/, where tests/lib/imapservers.py
# unpacks Debian packages with directories such as etc/init.d)
-include $(shell find $(B) -path $(B)/other-servers -prune -o -name '*.d' -type f -print 2>/dev/null)
