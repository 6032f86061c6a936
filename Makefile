# egress.mail: one entry point for set-up, checks, tests, the demo and benchmarks.
# `make test` runs everything CI runs; it installs what it needs itself (run as root).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export NO_COLOR := 1
SCENARIOS ?= all

.PHONY: test setup lint sanity unit molecule demo demo-down bench build clean

test: setup lint sanity unit molecule ## everything CI runs
	@echo "make test: all checks passed"

setup: ## packages, podman settings, test images, .venv
	bash scripts/setup-test-env.sh

lint: ## ansible-lint, production profile
	ansible-lint --profile production --offline

sanity: ## ansible-test sanity on a copy under ansible_collections/egress/mail
	bash scripts/sanity.sh

unit: ## pytest unit tests (real sockets, network namespaces when root)
	pytest tests/unit -q

molecule: ## molecule scenarios on local podman containers
	@if [ "$(SCENARIOS)" = all ]; then molecule test --all; \
	else for s in $(SCENARIOS); do molecule test -s $$s; done; fi

demo: setup ## bring up a mail host and a smarthost, converge playbooks/site.yml, send a message
	bash scripts/demo.sh

demo-down: ## remove the demo containers
	bash scripts/demo.sh down

bench: setup ## benchmarks (numbers, not tests)
	bash bench/run.sh

build: ## the collection artifact
	ansible-galaxy collection build --force --output-path build/

clean:
	rm -rf build .cache/sanity tests/output
