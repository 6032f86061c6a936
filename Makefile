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

.PHONY: test setup lint sanity unit molecule demo demo-down bench build clean \
	role-docs role-docs-check changelog docs galaxy-check ee mutation

TEST_STEPS := setup lint sanity unit role-docs-check changelog docs galaxy-check ee molecule

test: ## everything CI runs, in order; ends with a table of each step's wall time
	@bash scripts/timed-steps.sh $(TEST_STEPS)

setup: ## packages, podman settings, test images, .venv
	bash scripts/setup-test-env.sh

lint: ## ansible-lint, production profile
	ansible-lint --profile production --offline

sanity: ## ansible-test sanity on a copy under ansible_collections/egress/mail
	bash scripts/sanity.sh

unit: ## pytest unit tests (real sockets, network namespaces when root)
	pytest tests/unit -q --strict-skips

molecule: ## molecule scenarios on local podman containers, MOLECULE_JOBS (2) at a time; SCENARIOS="a b" for some
	@if [ "$(SCENARIOS)" = all ]; then python scripts/molecule-scenarios.py; \
	else python scripts/molecule-scenarios.py $(SCENARIOS); fi

demo: setup ## bring up a mail host and a smarthost, converge playbooks/site.yml, send a message
	bash scripts/demo.sh

demo-down: ## remove the demo containers
	bash scripts/demo.sh down

mutation: ## mutation testing of five plugins/module_utils files (mutmut; not in `make test`: hours on 2 cores)
	bash scripts/mutation.sh

bench: setup ## benchmarks (numbers, not tests)
	bash bench/run.sh

build: ## the collection artifact
	ansible-galaxy collection build --force --output-path build/

role-docs: ## regenerate the role READMEs' variable tables and docs/docsite/rst/providers.rst
	python scripts/role-docs.py

role-docs-check: ## fail if `make role-docs` would change a file
	python scripts/role-docs.py --check

changelog: ## antsibull-changelog lint; CHANGELOG.rst matches changelogs/changelog.yaml
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@mkdir -p build
	antsibull-changelog generate --output build/CHANGELOG.rst --output-format rst
	@rm -f changelogs/.plugin-cache.yaml
	@diff -u CHANGELOG.rst build/CHANGELOG.rst || { \
	  echo "changelog: CHANGELOG.rst is out of date: run antsibull-changelog generate"; exit 1; }
	@n=$$(find changelogs/fragments -name '*.yml' -o -name '*.yaml' 2>/dev/null | wc -l); \
	if [ "$$n" -gt 0 ]; then echo "changelog: $$n fragment(s) not in a release yet (README, Versioning)"; \
	else echo "changelog: lint passed, CHANGELOG.rst up to date, no unreleased fragments"; fi

docs: ## docs site with antsibull-docs into build/docs, offline, warnings fail
	bash scripts/docs.sh

galaxy-check: ## build the artifact, check its file list, run galaxy-importer on it
	bash scripts/galaxy-check.sh

ee: build ## execution environment build context in build/ee (ansible-builder create)
	rm -rf build/ee build/ee-introspect
	ansible-builder create -f execution-environment.yml --context build/ee
	test -s build/ee/Containerfile
	grep -q '^FROM ' build/ee/Containerfile
	@v=$$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])'); \
	test -s build/ee/_build/collections/egress-mail-$$v.tar.gz || { \
	  echo "ee: execution-environment.yml must name build/egress-mail-$$v.tar.gz (galaxy.yml version)"; exit 1; }
	@# What the image build's galaxy and builder stages do, without a container: install the
	@# collection from the context's requirements.yml, then ansible-builder's introspection.
	cd build/ee/_build && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/ee-introspect \
	  ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ansible-galaxy collection install --force \
	  -r requirements.yml --collections-path $(CURDIR)/build/ee-introspect
	python build/ee/_build/scripts/introspect.py introspect --user-bindep=build/ee/_build/bindep.txt \
	  build/ee-introspect
	@echo "ee: build context in build/ee ($$(find build/ee -type f | wc -l) files); building the image needs quay.io (see README)"

clean:
	rm -rf build .cache/sanity tests/output changelogs/.plugin-cache.yaml
