#!/usr/bin/env bash
# make docs: check the documentation sources and build the docs site with antsibull-docs, offline.
#  1. antsibull-docs lint-collection-docs: plugin, module and role documentation markup and the
#     extra docs under docs/docsite (what the Ansible docs site and Galaxy render)
#  2. ansible-doc renders every module, filter and role of the collection
#  3. the example inventory: playbooks/site.yml and examples/validate.yml parse with it, and its
#     variables pass the roles' argument specs and the relay_settings filter (no host contacted)
#  4. antsibull-docs sphinx-init --use-current into build/docs, then its build.sh (antsibull-docs
#     collection + sphinx-build -W --keep-going: any warning fails the build). No remote
#     intersphinx inventory is loaded: the mapping is emptied, and the two labels of the Ansible
#     docs that generated pages refer to are linked directly (see conf.py's tail).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export PATH="$top/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$top/.cache/collections}"
export ANSIBLE_FORCE_COLOR=0 NO_COLOR=1
log() { printf '\n== docs: %s\n' "$*"; }

if [ ! -e "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/egress/mail/galaxy.yml" ]; then
  echo "docs: egress.mail is not in $ANSIBLE_COLLECTIONS_PATH; run make setup" >&2
  exit 1
fi

# 1. documentation markup --------------------------------------------------------------------
log "antsibull-docs lint-collection-docs --plugin-docs"
antsibull-docs lint-collection-docs --plugin-docs .
echo "lint-collection-docs: no findings"

# 2. ansible-doc -----------------------------------------------------------------------------
log "ansible-doc renders every plugin and role"
# One ansible-doc per type (its start-up is most of its time); every page must render and must
# name its plugin in its first line, so that a page that fails is not taken for one that rendered.
n=0
render() {
  local type=$1 out name; shift
  [ $# -gt 0 ] || { echo "docs: no egress.mail $type found" >&2; exit 1; }
  out=$(ansible-doc -t "$type" "$@")
  for name in "$@"; do
    grep -qE "^> ${type^^}:? \*?${name//./\\.}\*? \(" <<<"$out" ||
      { echo "docs: ansible-doc -t $type did not render $name" >&2; exit 1; }
  done
  n=$((n + $#))
}
names() { ansible-doc -t "$1" -l egress.mail --json | python -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }
read -ra modules <<<"$(names module)"
read -ra filters <<<"$(names filter)"
roles=()
for r in roles/*/meta/argument_specs.yml; do r=${r#roles/}; roles+=("egress.mail.${r%%/*}"); done
render module "${modules[@]}"
render filter "${filters[@]}"
render role "${roles[@]}"
echo "ansible-doc: $n plugins and roles rendered"

# 3. the example inventory ---------------------------------------------------------------------
log "examples/inventory"
ansible-playbook -i examples/inventory --syntax-check playbooks/site.yml examples/validate.yml
mkdir -p build
ansible-playbook -i examples/inventory examples/validate.yml >build/examples-validate.log 2>&1 || {
  cat build/examples-validate.log; echo "docs: examples/validate.yml failed" >&2; exit 1; }
sed -n '/^PLAY RECAP/,$p' build/examples-validate.log

# 4. the docs site -----------------------------------------------------------------------------
log "antsibull-docs sphinx-init into build/docs"
rm -rf build/docs
mkdir -m 0755 build/docs   # antsibull-docs wants a directory only its owner can write
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
  --project egress.mail --copyright 'egress.mail contributors' \
  --title 'egress.mail' --html-short-title 'egress.mail' \
  --dest-dir build/docs egress.mail

cat >>build/docs/conf.py <<'EOF'

# --- added by scripts/docs.sh: an offline build ------------------------------------------------
# No intersphinx inventory is fetched (the machines that build this have no Internet access).
intersphinx_mapping = {}

# Generated pages refer to two labels of the Ansible documentation; link them directly instead
# of through an inventory.
_ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
_ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible Configuration Settings'),
}


def _ansible_label(app, env, node, contnode):
    from docutils import nodes
    target = node.get('reftarget')
    if node.get('reftype') != 'ref' or target not in _ANSIBLE_LABELS:
        return None
    path, title = _ANSIBLE_LABELS[target]
    ref = nodes.reference('', '', internal=False, refuri=_ANSIBLE_DOCS + path)
    ref += contnode if node.get('refexplicit') else nodes.inline(title, title)
    return ref


def setup(app):
    app.connect('missing-reference', _ansible_label)


# Wide tables (the provider presets) use the page's width and wrap instead of scrolling.
html_static_path = ['_static']
html_css_files = ['egress-mail.css']
EOF
mkdir -p build/docs/_static
cat >build/docs/_static/egress-mail.css <<'EOF'
.wy-nav-content { max-width: 1600px; }
.wy-table-responsive table td, .wy-table-responsive table th { white-space: normal; }
EOF

log "build/docs/build.sh (antsibull-docs collection, sphinx-build -W --keep-going)"
start=$SECONDS
if ! bash build/docs/build.sh >build/docs/build.log 2>&1; then
  grep -E 'WARNING|ERROR|CRITICAL' build/docs/build.log || tail -30 build/docs/build.log
  echo "docs: the site did not build without warnings (full log: build/docs/build.log)" >&2
  exit 1
fi
if grep -q 'loading intersphinx inventory' build/docs/build.log; then
  echo "docs: an intersphinx inventory was loaded; the build must be offline" >&2
  exit 1
fi
if grep -E 'WARNING:|ERROR:|CRITICAL:' build/docs/build.log; then
  echo "docs: warnings in build/docs/build.log" >&2
  exit 1
fi
grep -E '^build succeeded' build/docs/build.log
html=build/docs/build/html
for page in index docsite/providers changelog postfix_relay_role smtp_probe_module; do
  [ -s "$html/$page.html" ] || { echo "docs: $html/$page.html is missing" >&2; exit 1; }
done
grep -q smtp.sendgrid.net "$html/docsite/providers.html"
echo "docs: $(find "$html" -name '*.html' | wc -l) HTML pages in $html ($((SECONDS - start)) s); open $html/index.html"
