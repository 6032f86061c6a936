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
UNIT_JOBS ?= 4

.PHONY: test setup lint sanity unit molecule demo demo-down bench build clean \
	role-docs role-docs-check changelog docs galaxy-check ee mutation help

TEST_STEPS := setup lint sanity unit role-docs-check changelog docs galaxy-check ee molecule

test: ## everything CI runs, in order; ends with a table of each step's wall time
	@bash scripts/timed-steps.sh $(TEST_STEPS)

setup: ## packages, podman settings, test images, .venv
	bash scripts/setup-test-env.sh

lint: ## ansible-lint (production profile), ruff format --check and ruff check (ruff.toml)
	ansible-lint --profile production --offline
	ruff format --check --quiet .
	ruff check --quiet .

sanity: ## ansible-test sanity on a copy under ansible_collections/egress/mail
	bash scripts/sanity.sh

unit: ## pytest unit tests (real sockets, network namespaces when root), UNIT_JOBS (4) workers: the tests wait on sockets half the time, so 4 on 2 cores
	pytest tests/unit -q --strict-skips -n $(UNIT_JOBS) --dist worksteal

molecule: ## molecule scenarios on local podman containers, MOLECULE_JOBS (2) at a time; SCENARIOS="a b" for some
	python scripts/molecule-scenarios.py $(filter-out all,$(SCENARIOS))

demo: setup ## bring up a mail host and a smarthost, converge playbooks/site.yml, send a message
	bash scripts/demo.sh

demo-down: ## remove the demo containers
	bash scripts/demo.sh down

mutation: ## mutation testing of five plugins/module_utils names (mutmut, MUTATION_JOBS at once; not in `make test`)
	bash scripts/mutation-jobs.sh

bench: setup ## benchmarks (numbers, not tests)
	bash bench/run.sh

build: ## the collection artifact
	ansible-galaxy collection build --force --output-path build/

role-docs: ## regenerate the role READMEs' variable tables and docs/docsite/rst/providers.rst
	python scripts/role-docs.py

role-docs-check: ## fail if `make role-docs` would change a file
	python scripts/role-docs.py --check

changelog: ## antsibull-changelog lint; CHANGELOG.rst matches changelogs/changelog.yaml
	bash scripts/changelog.sh

docs: ## docs site with antsibull-docs into build/docs, offline, warnings fail
	bash scripts/docs.sh

galaxy-check: ## build the artifact, check its file list, run galaxy-importer on it
	bash scripts/galaxy-check.sh

ee: build ## execution environment build context in build/ee (ansible-builder create)
	bash scripts/ee.sh

help: ## every target with what it does
	@bash scripts/make-help.sh

clean: ## remove build output, the sanity copy and caches of the tests
	rm -rf build .cache/sanity tests/output changelogs/.plugin-cache.yaml
