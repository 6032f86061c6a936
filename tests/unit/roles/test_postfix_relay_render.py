"""postfix_relay's variables and templates, rendered by ansible-core for both OS families.

Debian is also proven on real hosts (molecule); the RHEL family is covered here only, since no
RHEL mirror is reachable from the test machines.
"""

import os
import subprocess
import sys

import pytest
import yaml

# role_render is imported as a top-level module and first: it starts Ansible's collection
# loader, which must own `ansible_collections` before any module of the collection is imported.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "helpers"))
from role_render import RoleRenderer  # noqa: E402

from ansible_collections.egress.mail.plugins.module_utils.role_vars import check as check_role  # noqa: E402

PASSWORD = "p:a ss#w0rd$%"
FAMILIES = {
    "Debian": ("libsasl2-modules", "/etc/ssl/certs/ca-certificates.crt", "y"),
    "RedHat": ("cyrus-sasl-plain", "/etc/pki/tls/certs/ca-bundle.crt", "n"),
}


def renderer(family):
    return RoleRenderer("postfix_relay", ["defaults/main.yml", "vars/main.yml", "vars/%s.yml" % family])


def role_vars(family="Debian", db_type="hash", services=("smtp", "relay"), unchecked=(), **overrides):
    """The role's variables; ``unchecked`` ones reach the templates without the checks, which would refuse them."""
    variables = {
        "postfix_relay_host": "smtp.example.net",
        "postfix_relay_username": "relayuser",
        "postfix_relay_password": PASSWORD,
        "ansible_facts": {"os_family": family, "fqdn": "web1.example.com"},
        "__postfix_relay_host_state": {
            "db_type": db_type,
            "services": list(services),
            "missing": [],
            "installed": True,
            "active": "active",
            "enabled": "enabled",
            "mailname": None,
        },
    }
    variables.update(overrides)
    # What tasks/validate.yml sets, from the same mapping (module_utils/role_vars.py).
    checked = dict((name, value) for name, value in variables.items() if name not in unchecked)
    variables["__postfix_relay"] = check_role(checked, "postfix_relay")["settings"]
    return variables


def main_cf(family="Debian", **overrides):
    return renderer(family).render("{{ __postfix_relay_main_cf }}", **role_vars(family, **overrides))


def template(name, family="Debian", **overrides):
    return renderer(family).render(
        "{{ lookup('ansible.builtin.template', '%s') }}" % name, **role_vars(family, **overrides)
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_os_family_packages_and_ca_bundle(family):
    sasl_package, bundle, dummy = FAMILIES[family]
    r = renderer(family)
    facts = {"ansible_facts": {"os_family": family}}
    assert sasl_package in r.render("{{ __postfix_relay_packages }}", **facts)
    assert "postfix" in r.render("{{ __postfix_relay_packages }}", **facts)

    conf = main_cf(family, postfix_relay_tls_security_level="verify")
    assert conf["smtp_tls_CAfile"] == bundle
    assert conf["smtp_tls_security_level"] == "verify"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_relay_defaults(family):
    conf = main_cf(family)
    assert conf["relayhost"] == "[smtp.example.net]:587"
    assert conf["smtp_tls_security_level"] == "encrypt"
    assert conf["smtp_tls_wrappermode"] == "no"
    assert conf["smtp_sasl_auth_enable"] == "yes"
    assert conf["smtp_sasl_password_maps"] == "hash:/etc/postfix/sasl_passwd"
    assert conf["smtp_sasl_security_options"] == "noanonymous"
    assert conf["inet_interfaces"] == "loopback-only"
    assert conf["mynetworks"] == "127.0.0.0/8, [::1]/128"
    assert conf["smtpd_relay_restrictions"] == "permit_mynetworks, reject_unauth_destination"
    assert conf["smtp_tls_connection_reuse"] == "yes"
    assert conf["myhostname"] == "web1.example.com"
    assert PASSWORD not in str(conf)


def test_port_465_means_wrappermode():
    assert main_cf(postfix_relay_port=465)["smtp_tls_wrappermode"] == "yes"
    assert main_cf(postfix_relay_port=465)["relayhost"] == "[smtp.example.net]:465"


def test_ipv6_next_hop():
    assert main_cf(postfix_relay_host="2001:db8::25")["relayhost"] == "[ipv6:2001:db8::25]:587"


def test_map_type_comes_from_postconf():
    conf = main_cf(db_type="lmdb")
    assert conf["smtp_sasl_password_maps"] == "lmdb:/etc/postfix/sasl_passwd"
    maps = renderer("Debian").render("{{ __postfix_relay_password_map }}", **role_vars(db_type="lmdb"))
    assert [(m["path"], m["mode"], m["secret"]) for m in maps] == [("/etc/postfix/sasl_passwd", "0600", True)]
    assert maps[0]["content"].endswith("[smtp.example.net]:587 relayuser:%s\n" % PASSWORD)


def test_no_credentials_no_sasl():
    conf = main_cf(postfix_relay_username=None, postfix_relay_password=None)
    assert conf["smtp_sasl_auth_enable"] == "no"
    assert "smtp_sasl_password_maps" not in conf
    assert (
        renderer("Debian").render(
            "{{ __postfix_relay_password_map }}", **role_vars(postfix_relay_username=None, postfix_relay_password=None)
        )
        == []
    )


def main_cf_absent(**overrides):
    return renderer("Debian").render("{{ __postfix_relay_main_cf_absent }}", **role_vars(**overrides))


# Removed when not used: the role never sets smtp_fallback_relay, and the address handling is off.
UNUSED = ["smtp_fallback_relay", "sender_canonical_maps", "recipient_canonical_maps", "smtp_header_checks"]


def test_removed_credentials_reset_the_sasl_parameters():
    """A host that logged in before: the map parameters go from main.cf (the map itself is
    removed by tasks/configure.yml), and smtp_sasl_auth_enable is written as no."""
    assert (
        main_cf_absent(postfix_relay_username=None, postfix_relay_password=None)
        == [
            "smtp_sasl_password_maps",
            "smtp_sasl_security_options",
            "smtp_sasl_tls_security_options",
            "smtp_sasl_mechanism_filter",
        ]
        + UNUSED
    )
    assert main_cf_absent() == UNUSED
    # A parameter the user sets in extra_config is theirs: written, not removed.
    assert "smtp_sasl_security_options" not in main_cf_absent(
        unchecked=("postfix_relay_extra_config",),
        postfix_relay_username=None,
        postfix_relay_password=None,
        postfix_relay_extra_config={"smtp_sasl_security_options": "noanonymous"},
    )


def test_password_map_removal_runs_only_without_a_user_name():
    r = renderer("Debian")
    tasks = r.loader.load_from_file(os.path.join(r.path, "tasks", "configure.yml"))
    [removal] = [t for t in tasks if t["name"].startswith("Remove the SASL password map")]
    assert removal["egress.mail.postfix_maps"]["maps"] == [{"path": "/etc/postfix/sasl_passwd", "state": "absent"}]
    assert removal["when"] == "not __postfix_relay.sasl_auth"
    names = [t["name"] for t in tasks]
    assert names.index(removal["name"]) > names.index(
        "Write the relay settings to main.cf and the relay transports to master.cf"
    )


def test_password_map_keeps_the_password_exactly():
    text = template("sasl_passwd.j2")
    assert "[smtp.example.net]:587 relayuser:%s\n" % PASSWORD in text


SENDER_DEPENDENT = [
    {
        "sender": "@billing.example.com",
        "host": "smtp.billing.example.net",
        "port": 465,
        "username": "billing",
        "password": "b1ll:ing pw",
    },
    {"sender": "ops@example.com", "host": "relay.example.org", "username": "ops", "password": "0ps#pw"},
]


def test_sender_dependent_relays():
    conf = main_cf(postfix_relay_sender_dependent=SENDER_DEPENDENT)
    assert conf["smtp_sender_dependent_authentication"] == "yes"
    assert conf["sender_dependent_default_transport_maps"] == "hash:/etc/postfix/egress_sender_transport"
    transport = template("egress_sender_transport.j2", postfix_relay_sender_dependent=SENDER_DEPENDENT)
    assert "@billing.example.com egress_smtps:[smtp.billing.example.net]:465\n" in transport
    assert "ops@example.com egress_starttls:[relay.example.org]:587\n" in transport
    sasl = template("sasl_passwd.j2", postfix_relay_sender_dependent=SENDER_DEPENDENT)
    assert "@billing.example.com billing:b1ll:ing pw\n" in sasl
    assert "ops@example.com ops:0ps#pw\n" in sasl
    assert "b1ll:ing" not in transport


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_throughput_tuning_defaults(family):
    """The tuned settings measured in bench/throughput_bench.py are the defaults."""
    conf = main_cf(family)
    assert conf["smtp_tls_connection_reuse"] == "yes"
    assert conf["smtp_connection_cache_destinations"] == "[smtp.example.net]:587"
    assert conf["default_destination_concurrency_limit"] == "10"
    assert "tlsproxy" in template("master.cf.block.j2", family)


def test_connection_cache_covers_every_relay():
    sender_dependent = [
        {"sender": "@a.example", "host": "smtp.sendgrid.net", "port": 465, "username": "apikey", "password": "SG.x"},
        {"sender": "@b.example", "host": "2001:db8::25"},
        {"sender": "@c.example", "host": "smtp.example.net"},
    ]
    conf = main_cf(postfix_relay_sender_dependent=sender_dependent)
    assert conf["smtp_connection_cache_destinations"] == (
        "[smtp.example.net]:587, [smtp.sendgrid.net]:465, [ipv6:2001:db8::25]:587"
    )
    transport = template("egress_sender_transport.j2", postfix_relay_sender_dependent=sender_dependent)
    assert "@a.example egress_smtps:[smtp.sendgrid.net]:465\n" in transport
    assert "@b.example egress_starttls:[ipv6:2001:db8::25]:587\n" in transport


def test_plain_relay_without_reuse_or_cache():
    conf = main_cf(postfix_relay_tls_connection_reuse=False)
    assert conf["smtp_tls_connection_reuse"] == "no"
    assert conf["smtp_connection_cache_destinations"] == ""


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"postfix_relay_concurrency_limit": 4}, "4"),
        (
            {
                "postfix_relay_provider": "office365",
                "postfix_relay_host": None,
                "postfix_relay_username": "mailer@example.com",
            },
            "3",
        ),
    ],
)
def test_concurrency_limit(overrides, expected):
    assert main_cf(**overrides)["default_destination_concurrency_limit"] == expected


def test_sender_rewrite_one_address_and_map():
    generic = template("egress_generic.j2", postfix_relay_sender_rewrite="noreply@example.com")
    assert "@web1.example.com noreply@example.com\n" in generic
    assert "@localhost noreply@example.com\n" in generic
    generic = template("egress_generic.j2", postfix_relay_sender_rewrite={"root@web1": "ops@example.com"})
    assert "root@web1 ops@example.com\n" in generic
    conf = main_cf(postfix_relay_sender_rewrite="noreply@example.com")
    assert conf["smtp_generic_maps"] == "hash:/etc/postfix/egress_generic"


SASL = "postfix_relay_sasl_mechanisms"


@pytest.mark.parametrize("value", ['plain"\nrelayhost: evil', "plain\nrelayhost: [evil]:25", "a: b"])
def test_values_cannot_add_parameters(value):
    """Every value is quoted in main.cf.yml.j2: nothing a user writes becomes a key of its own."""
    conf = main_cf(
        unchecked=(SASL, "postfix_relay_myorigin"), postfix_relay_sasl_mechanisms=[value], postfix_relay_myorigin=value
    )
    assert conf["relayhost"] == "[smtp.example.net]:587"
    assert conf["smtp_sasl_mechanism_filter"] == value and conf["myorigin"] == value


def test_extra_config_wins():
    conf = main_cf(
        unchecked=("postfix_relay_extra_config",),
        postfix_relay_extra_config={"smtp_tls_loglevel": "2", "maximal_queue_lifetime": "10d"},
    )
    assert conf["smtp_tls_loglevel"] == "2" and conf["maximal_queue_lifetime"] == "10d"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_master_cf_block_adds_tlsproxy_only_when_missing(family):
    chroot = FAMILIES[family][2]
    block = template("master.cf.block.j2", family)
    assert "egress_smtps unix" in block and "smtp_tls_wrappermode=yes" in block
    assert "tlsproxy  unix  -       -       %s" % chroot in block
    assert "tlsproxy" not in template("master.cf.block.j2", family, services=["smtp", "relay", "tlsproxy"])
    assert "tlsproxy" not in template("master.cf.block.j2", family, postfix_relay_tls_connection_reuse=False)


@pytest.mark.parametrize(
    "apt_lists, age, expected",
    [(0, None, True), (0, 60, True), (12, None, True), (12, 0, False), (12, 3600, False), (12, 86401, True)],
)
def test_apt_cache_is_refreshed_when_the_package_lists_are_gone(apt_lists, age, expected):
    """Images often delete /var/lib/apt/lists but keep apt's update stamp: then the cache must
    be refreshed although the stamp is recent (the apt module would trust it otherwise); lists
    less than a day old are not fetched again."""
    r = renderer("Debian")
    [task] = [
        t for t in r.loader.load_from_file(os.path.join(r.path, "tasks", "install.yml")) if "ansible.builtin.apt" in t
    ]
    assert task["ansible.builtin.apt"]["update_cache"] == "{{ __postfix_relay_apt_update }}"
    expression = task["vars"]["__postfix_relay_apt_update"]
    state = {
        "db_type": "",
        "services": [],
        "missing": ["postfix"],
        "apt_lists": apt_lists,
        "apt_lists_age": age,
        "active": "",
        "enabled": "",
    }
    assert r.render(expression, __postfix_relay_host_state=state) is expected


# --- Fallback relays and address handling (issue 14) ---------------------------------------------
FALLBACKS = [
    {"host": "backup.example.org", "username": "fb", "password": "fb:pw #1"},
    {"provider": "sendgrid", "password": "SG.key"},
    {"host": "open.example.org"},
]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fallback_relays_follow_the_main_one_in_relayhost(family):
    conf = main_cf(family, postfix_relay_fallback_relays=FALLBACKS)
    assert conf["relayhost"] == (
        "[smtp.example.net]:587, [backup.example.org]:587, [smtp.sendgrid.net]:587, [open.example.org]:587"
    )
    assert "smtp_fallback_relay" not in conf
    assert conf["smtp_connection_cache_destinations"] == conf["relayhost"]
    assert "smtp_fallback_relay" in main_cf_absent(postfix_relay_fallback_relays=FALLBACKS)
    assert "fb:pw" not in str(conf)


def test_each_fallback_relay_has_its_own_login_keyed_by_its_next_hop():
    sasl = template("sasl_passwd.j2", postfix_relay_fallback_relays=FALLBACKS)
    lines = [line for line in sasl.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "[smtp.example.net]:587 relayuser:%s" % PASSWORD,
        "[backup.example.org]:587 fb:fb:pw #1",
        "[smtp.sendgrid.net]:587 apikey:SG.key",
    ]


def test_only_the_fallback_logs_in():
    overrides = dict(
        postfix_relay_username=None, postfix_relay_password=None, postfix_relay_fallback_relays=FALLBACKS[:1]
    )
    assert main_cf(**overrides)["smtp_sasl_auth_enable"] == "yes"
    lines = [line for line in template("sasl_passwd.j2", **overrides).splitlines() if line and line[0] != "#"]
    assert lines == ["[backup.example.org]:587 fb:fb:pw #1"]
    assert "smtp_sasl_password_maps" not in main_cf_absent(**overrides)


def test_fallback_465_uses_the_main_wrappermode():
    conf = main_cf(postfix_relay_port=465, postfix_relay_fallback_relays=[dict(FALLBACKS[0], port=465)])
    assert conf["relayhost"] == "[smtp.example.net]:465, [backup.example.org]:465"
    assert conf["smtp_tls_wrappermode"] == "yes"


def test_address_handling_parameters_and_tables():
    overrides = dict(
        postfix_relay_sender_canonical={"legacy@old.example": "app@example.com"},
        postfix_relay_recipient_canonical={"@old.example": "@example.com"},
        postfix_relay_strip_received_headers=True,
        postfix_relay_message_size_limit=20971520,
    )
    conf = main_cf(**overrides)
    assert conf["sender_canonical_maps"] == "hash:/etc/postfix/egress_sender_canonical"
    assert conf["recipient_canonical_maps"] == "hash:/etc/postfix/egress_recipient_canonical"
    assert conf["smtp_header_checks"] == "regexp:/etc/postfix/egress_header_checks"
    assert conf["message_size_limit"] == "20971520"
    assert main_cf_absent(**overrides) == ["smtp_fallback_relay"]
    plain = main_cf()
    for name in ("sender_canonical_maps", "recipient_canonical_maps", "smtp_header_checks", "message_size_limit"):
        assert name not in plain
    checks = renderer("Debian").render(
        "{{ lookup('ansible.builtin.template', 'egress_header_checks.j2') }}", **role_vars()
    )
    assert [line for line in checks.splitlines() if not line.startswith("#")] == ["/^Received:/ IGNORE"]
    canonical = renderer("Debian").render(
        "{{ lookup('ansible.builtin.template', 'egress_canonical.j2', template_vars={'__postfix_relay_canonical': "
        "__postfix_relay.recipient_canonical, '__postfix_relay_canonical_what': 'Recipient addresses'}) }}",
        **role_vars(**overrides),
    )
    assert "@old.example @example.com\n" in canonical


def _tasks(name):
    r = renderer("Debian")
    return r.loader.load_from_file(os.path.join(r.path, "tasks", name))


def test_aliases_mailname_and_backups_in_the_tasks():
    tasks = dict((t["name"], t) for t in _tasks("configure.yml"))
    aliases = tasks["Forward mail for local names (aliases)"]
    assert aliases["ansible.builtin.lineinfile"]["regexp"] == "^{{ item.0 }}:"
    assert aliases["notify"] == "Rebuild aliases"
    mailname = tasks["Write /etc/mailname as the domain of local senders (myorigin)"]
    assert mailname["when"][0] == "ansible_facts.os_family == 'Debian'"
    r = renderer("Debian")
    content = mailname["ansible.builtin.copy"]["content"]
    assert r.render(content, **role_vars()) == "web1.example.com\n"
    assert r.render(content, **role_vars(postfix_relay_myorigin="example.com")) == "example.com\n"
    # Skipped only when the inspection found exactly what the task writes.
    right = {"content": "web1.example.com\n", "mode": "0644", "uid": 0, "gid": 0}
    for found, runs in (
        (right, False),
        (None, True),
        (dict(right, content="web1\n"), True),
        (dict(right, mode="0600"), True),
        (dict(right, uid=1000), True),
    ):
        variables = role_vars()
        variables["__postfix_relay_host_state"] = dict(variables["__postfix_relay_host_state"], mailname=found)
        assert r.render("{{ %s }}" % mailname["when"][1], **variables) is runs, found
    postconf_args = tasks["Write the relay settings to main.cf and the relay transports to master.cf"][
        "egress.mail.postconf"
    ]
    assert r.render(postconf_args["backup_keep"], **role_vars()) == 5
    assert r.render(postconf_args["backup_dir"], **role_vars()) == "/var/backups/egress-postfix"


@pytest.mark.parametrize(
    "overrides, ports",
    [
        ({}, []),
        ({"postfix_relay_port": 465}, []),
        ({"postfix_relay_port": 2525}, [2525]),
        (
            {
                "postfix_relay_port": 2525,
                "postfix_relay_fallback_relays": [{"host": "b.example", "port": 2587}],
                "postfix_relay_sender_dependent": [{"sender": "@a.example", "host": "c.example", "port": 2525}],
            },
            [2525, 2587],
        ),
    ],
)
def test_selinux_labels_the_relay_ports_outside_smtp_port_t(overrides, ports):
    """RHEL only (no RHEL host here): the ports the script labels, and the script itself."""
    r = renderer("RedHat")
    variables = role_vars("RedHat", **overrides)
    assert r.render("{{ __postfix_relay_selinux_ports }}", **variables) == ports
    if ports:
        script = r.render("{{ lookup('ansible.builtin.template', 'selinux_ports.sh.j2') }}", **variables)
        assert "for port in %s; do" % " ".join(str(p) for p in ports) in script
        assert 'semanage port -a -t smtp_port_t -p tcp "$port"' in script
        assert '$1 == "smtp_port_t" && $2 == "tcp"' in script
    [task] = [t for t in _tasks("configure.yml") if t["name"] == "Label the relay ports for SELinux"]
    assert task["when"] == [
        "ansible_facts.os_family == 'RedHat'",
        "ansible_facts.selinux.status | default('disabled') == 'enabled'",
        "__postfix_relay_selinux_ports | length > 0",
    ]


def test_selinux_script_labels_only_what_is_missing(tmp_path):
    """The rendered script run against a fake semanage (the list format of RHEL 9's)."""
    log = tmp_path / "calls"
    fake = tmp_path / "semanage"
    fake.write_text(
        "#!/bin/sh\n"
        "if [ \"$1 $2\" = 'port -l' ]; then\n"
        "  printf 'smtp_port_t                    tcp      2587, 25, 465, 587\\n'\n"
        "  printf 'unreserved_port_t              tcp      1024-32767, 61001-65535\\n'\n"
        "  exit 0\nfi\n"
        'echo "$*" >> %s\n'
        '[ "$2" = -m ] || exit 1\n' % log
    )
    fake.chmod(0o755)
    variables = role_vars(
        "RedHat", postfix_relay_port=2525, postfix_relay_fallback_relays=[{"host": "b.example", "port": 2587}]
    )
    script = renderer("RedHat").render("{{ lookup('ansible.builtin.template', 'selinux_ports.sh.j2') }}", **variables)
    result = subprocess.run(
        ["bash", "-c", script],
        env=dict(os.environ, PATH="%s:/usr/bin:/bin" % tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "labelled 2525\n"
    # 2525 has a type already (unreserved_port_t's range): -a fails, -m modifies it.
    assert log.read_text() == "port -a -t smtp_port_t -p tcp 2525\nport -m -t smtp_port_t -p tcp 2525\n"


def _takeover_include_condition():
    with open(
        os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "postfix_relay", "tasks", "main.yml")
    ) as handle:
        tasks = yaml.safe_load(handle)
    (task,) = [t for t in tasks if t.get("ansible.builtin.include_tasks") == "takeover_check.yml"]
    return task["when"]


@pytest.mark.parametrize(
    "owner, waiting, included",
    [
        ("postfix", {}, False),  # a converged host: no takeover tasks at all
        (None, {}, False),  # a bare host: nothing owns sendmail
        ("", {}, False),  # None as ansible-core 2.16-2.18 template it
        ("exim4", {}, True),  # another MTA owns sendmail, its queue empty: it is stopped
        ("nullmailer", {}, True),
        ("postfix", {"exim4": 2}, True),  # Postfix owns sendmail, exim4 still holds mail: refused or moved
        ("postfix", {"nullmailer": 1}, True),
        ("postfix", {"sendmail": 1}, True),  # mail the role cannot move: refused
        ("postfix", {"postfix": 5}, False),  # Postfix's own mail is the release's business
    ],
)
def test_the_takeover_checks_run_when_another_mta_owns_sendmail_or_holds_mail(owner, waiting, included):
    state = dict(role_vars()["__postfix_relay_host_state"])
    counts = dict.fromkeys(["postfix", "exim4", "nullmailer", "sendmail", "dma", "opensmtpd"], 0)
    counts.update(waiting)
    state["mail_queues"] = {"sendmail_owner": {"mta": owner}, "waiting": counts}
    rendered = renderer("Debian").render(
        "{{ (%s) | bool }}" % _takeover_include_condition(), __postfix_relay_host_state=state
    )
    assert rendered is included
