# Switchboard: `make run` builds and starts the gateway on the embedded default;
# `make test` runs every test. Both install what they need on a fresh Debian machine.
SHELL := /bin/bash
# What building and running needs.
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev libgmime-3.0-dev zlib1g-dev
# What the tests start besides: Dovecot (IMAP), Chromium + chromedriver (the console's browser tests).
TEST_APT_PACKAGES := dovecot-imapd chromium chromium-driver
# PostgreSQL: the integration tests start their own server (initdb + postgres as an unprivileged user).
TEST_APT_PACKAGES += postgresql
# pgbouncer: e2e/test_pgbouncer.py starts its own (temporary config, free port) in front of that server.
TEST_APT_PACKAGES += pgbouncer
# Postfix: the LMTP tests start their own instance (own main.cf in a temporary directory). Installed
# with "No configuration", so the machine gets no mail server of its own.
TEST_APT_PACKAGES += postfix
PIP_PACKAGES := pytest pytest-xdist requests PyYAML jsonschema openapi-spec-validator aiosmtpd selenium cryptography
CONFIG ?= Config/switchboard.yaml
SWIFT_BUILD_FLAGS ?=

.PHONY: deps test-deps build release run test test-swift test-e2e test-fuzz fuzz lint format bench clean

deps:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi

test-deps: deps
	@if ! dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1; then \
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT_PACKAGES) >/dev/null; fi
	@python3 -c 'import pytest, xdist, requests, yaml, jsonschema, openapi_spec_validator, aiosmtpd, selenium, cryptography' 2>/dev/null || \
		python3 -m pip install -q $(PIP_PACKAGES)

build: deps
	swift build $(SWIFT_BUILD_FLAGS) --build-tests

release: deps
	swift build -c release --product switchboard

# Demo tokens and secret for the example config; set your own in production.
export SB_TOKEN_ANA ?= ana-dev-token-change-me-0123456789
export SB_TOKEN_LUIS ?= luis-dev-token-change-me-0123456789
export SB_TOKEN_MARTA ?= marta-dev-token-change-me-0123456789
export SHOP_CHAT_SECRET ?= dev-secret

run: release
	@echo "agent tokens: ana=$$SB_TOKEN_ANA luis=$$SB_TOKEN_LUIS marta=$$SB_TOKEN_MARTA (webhook secret: $$SHOP_CHAT_SECRET)"
	.build/release/switchboard serve --config $(CONFIG)

# Plain `swift test` runs the unit tests and the store conformance suite on memory and SQLite. The
# tests that start servers (PostgreSQL with the suite on it, Dovecot, aiosmtpd, local HTTP servers
# playing a platform's API or a PBX) run only with SWITCHBOARD_INTEGRATION=1; they live in these
# targets (whose few unit tests run again with them).
INTEGRATION_TARGETS := SwitchboardPostgresTests|SwitchboardTransportTests|SocialAdapterTests|PhoneLogAdapterTests

# The end-to-end tests mostly wait (for servers, deliveries, timeouts): one at a time they kept a
# 2-core machine 30 % busy (800 s); three workers take 360 s. Each test has its own ports and files.
E2E_WORKERS ?= 3

test: test-deps lint build
	swift test --skip-build
	SWITCHBOARD_INTEGRATION=1 swift test --skip-build --filter '$(INTEGRATION_TARGETS)'
	SWITCHBOARD_BIN=$(CURDIR)/.build/debug/switchboard python3 -m pytest -q -n $(E2E_WORKERS) e2e

# libFuzzer targets for every decoder of outside bytes (Fuzz/, README "Fuzzing"), built into
# .build-fuzz: `make fuzz` runs each for FUZZ_SECONDS optimized, `make test-fuzz` for
# FUZZ_SHORT_SECONDS unoptimized (its fresh build takes a third of the time). `make test` runs
# neither: it replays every seed through the same harnesses in `swift test` (FuzzHarnessTests),
# without a second build of every dependency with the sanitizers (a quarter of CI's time).
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 15
FUZZ_SHORT_CONFIG ?= debug

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

test-fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) FUZZ_CONFIG=$(FUZZ_SHORT_CONFIG) Fuzz/run.sh

# The formatter's configuration is .swift-format (Hummingbird's, with one argument per line only where
# the line is too long); `make format` applies it, `make test` fails on any difference.
lint:
	swift-format lint --strict -r Sources Plugins Tests Fuzz Package.swift

format:
	swift-format format -i -r Sources Plugins Tests Fuzz Package.swift

bench: release
	scripts/bench.sh

clean:
	rm -rf .build .build-fuzz data
