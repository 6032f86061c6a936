"""postfix_relay's variables and templates, rendered by ansible-core for both OS families.

Debian is also proven on real hosts (molecule); the RHEL family is covered here only, since no
RHEL mirror is reachable from the test machines.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from role_render import RoleRenderer  # noqa: E402

from ansible_collections.egress.mail.plugins.module_utils.relay_settings import resolve  # noqa: E402

PASSWORD = "p:a ss#w0rd$%"
FAMILIES = {
    "Debian": ("libsasl2-modules", "/etc/ssl/certs/ca-certificates.crt", "y"),
    "RedHat": ("cyrus-sasl-plain", "/etc/pki/tls/certs/ca-bundle.crt", "n"),
}


def renderer(family):
    return RoleRenderer("postfix_relay", ["defaults/main.yml", "vars/main.yml", "vars/%s.yml" % family])


def role_vars(family="Debian", db_type="hash", services="smtp relay", **overrides):
    variables = {
        "postfix_relay_host": "smtp.example.net",
        "postfix_relay_username": "relayuser",
        "postfix_relay_password": PASSWORD,
        "ansible_facts": {"os_family": family, "fqdn": "web1.example.com"},
        "__postfix_relay_host_state": {"db_type": db_type, "services": services, "missing": "",
                                       "active": "active", "enabled": "enabled"},
    }
    variables.update(overrides)
    settings = {key: variables.get("postfix_relay_" + key) for key in
                ("host", "port", "username", "password", "tls_security_level", "sender_dependent",
                 "provider", "provider_region", "concurrency_limit")}
    variables["__postfix_relay"] = resolve(settings, "postfix_relay_")
    return variables


def main_cf(family="Debian", **overrides):
    return renderer(family).render("{{ __postfix_relay_main_cf }}", **role_vars(family, **overrides))


def template(name, family="Debian", **overrides):
    return renderer(family).render("{{ lookup('ansible.builtin.template', '%s') }}" % name,
                                   **role_vars(family, **overrides))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_os_family_packages_and_ca_bundle(family):
    sasl_package, bundle, dummy = FAMILIES[family]
    r = renderer(family)
    assert sasl_package in r.render("{{ __postfix_relay_packages }}")
    assert "postfix" in r.render("{{ __postfix_relay_packages }}")
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
    assert renderer("Debian").render("{{ __postfix_relay_password_map }}",
                                     **role_vars(postfix_relay_username=None, postfix_relay_password=None)) == []


def main_cf_absent(**overrides):
    return renderer("Debian").render("{{ __postfix_relay_main_cf_absent }}", **role_vars(**overrides))


def test_removed_credentials_reset_the_sasl_parameters():
    """A host that logged in before: the map parameters go from main.cf (the map itself is
    removed by tasks/configure.yml), and smtp_sasl_auth_enable is written as no."""
    assert main_cf_absent(postfix_relay_username=None, postfix_relay_password=None) == [
        "smtp_sasl_password_maps", "smtp_sasl_security_options", "smtp_sasl_tls_security_options",
        "smtp_sasl_mechanism_filter"]
    assert main_cf_absent() == []
    # A parameter the user sets in extra_config is theirs: written, not removed.
    assert "smtp_sasl_security_options" not in main_cf_absent(
        postfix_relay_username=None, postfix_relay_password=None,
        postfix_relay_extra_config={"smtp_sasl_security_options": "noanonymous"})


def test_password_map_removal_runs_only_without_a_user_name():
    r = renderer("Debian")
    tasks = r.loader.load_from_file(os.path.join(r.path, "tasks", "configure.yml"))
    [removal] = [t for t in tasks if t["name"].startswith("Remove the SASL password map")]
    assert removal["egress.mail.postfix_maps"]["maps"] == [{"path": "/etc/postfix/sasl_passwd", "state": "absent"}]
    assert removal["when"] == "__postfix_relay.username is not truthy"
    names = [t["name"] for t in tasks]
    assert names.index(removal["name"]) > names.index(
        "Write the relay settings to main.cf and the relay transports to master.cf")


def test_password_map_keeps_the_password_exactly():
    text = template("sasl_passwd.j2")
    assert "[smtp.example.net]:587 relayuser:%s\n" % PASSWORD in text


SENDER_DEPENDENT = [
    {"sender": "@billing.example.com", "host": "smtp.billing.example.net", "port": 465,
     "username": "billing", "password": "b1ll:ing pw"},
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
    sender_dependent = [{"sender": "@a.example", "host": "smtp.sendgrid.net", "port": 465,
                         "username": "apikey", "password": "SG.x"},
                        {"sender": "@b.example", "host": "2001:db8::25"},
                        {"sender": "@c.example", "host": "smtp.example.net"}]
    conf = main_cf(postfix_relay_sender_dependent=sender_dependent)
    assert conf["smtp_connection_cache_destinations"] == (
        "[smtp.example.net]:587, [smtp.sendgrid.net]:465, [ipv6:2001:db8::25]:587")
    transport = template("egress_sender_transport.j2", postfix_relay_sender_dependent=sender_dependent)
    assert "@a.example egress_smtps:[smtp.sendgrid.net]:465\n" in transport
    assert "@b.example egress_starttls:[ipv6:2001:db8::25]:587\n" in transport


def test_plain_relay_without_reuse_or_cache():
    conf = main_cf(postfix_relay_tls_connection_reuse=False)
    assert conf["smtp_tls_connection_reuse"] == "no"
    assert conf["smtp_connection_cache_destinations"] == ""


@pytest.mark.parametrize("overrides, expected", [
    ({"postfix_relay_concurrency_limit": 4}, "4"),
    ({"postfix_relay_provider": "office365", "postfix_relay_host": None,
      "postfix_relay_username": "mailer@example.com"}, "3"),
])
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


@pytest.mark.parametrize("value", ['plain"\nrelayhost: evil', "plain\nrelayhost: [evil]:25", "a: b"])
def test_values_cannot_add_parameters(value):
    """Every value is quoted in main.cf.yml.j2: nothing a user writes becomes a key of its own."""
    conf = main_cf(postfix_relay_sasl_mechanisms=[value], postfix_relay_myorigin=value)
    assert conf["relayhost"] == "[smtp.example.net]:587"
    assert conf["smtp_sasl_mechanism_filter"] == value and conf["myorigin"] == value


def test_extra_config_wins():
    conf = main_cf(postfix_relay_extra_config={"smtp_tls_loglevel": "2", "maximal_queue_lifetime": "10d"})
    assert conf["smtp_tls_loglevel"] == "2" and conf["maximal_queue_lifetime"] == "10d"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_master_cf_block_adds_tlsproxy_only_when_missing(family):
    chroot = FAMILIES[family][2]
    block = template("master.cf.block.j2", family)
    assert "egress_smtps unix" in block and "smtp_tls_wrappermode=yes" in block
    assert "tlsproxy  unix  -       -       %s" % chroot in block
    assert "tlsproxy" not in template("master.cf.block.j2", family, services="smtp relay tlsproxy")
    assert "tlsproxy" not in template("master.cf.block.j2", family, postfix_relay_tls_connection_reuse=False)


@pytest.mark.parametrize("apt_lists, expected", [("0", 0), ("", 0), ("12", 86400)])
def test_apt_cache_is_refreshed_when_the_package_lists_are_gone(apt_lists, expected):
    """Images often delete /var/lib/apt/lists but keep apt's update stamp: then the cache must
    be refreshed although the stamp is recent (the apt module would trust it otherwise)."""
    r = renderer("Debian")
    [task] = [t for t in r.loader.load_from_file(os.path.join(r.path, "tasks", "install.yml"))
              if "ansible.builtin.apt" in t]
    expression = task["ansible.builtin.apt"]["cache_valid_time"]
    state = {"db_type": "", "services": "", "missing": "postfix", "apt_lists": apt_lists,
             "active": "", "enabled": ""}
    assert int(r.render(expression, __postfix_relay_host_state=state)) == expected
