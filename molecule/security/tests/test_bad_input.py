"""Item 4: bad input is refused before anything on the host changes, with a message that names
the variable at fault (issue 12: every class of input, not one spelling: prefix 0 in any spelling,
unparsable and too public networks, extra_config outside the allow-list or of the wrong kind,
pipe/file/:include: aliases, map keys that are comments, control characters and line separators,
values of the wrong type, passwords postmap would cut).

Every case is a host of its own in a generated inventory: an alias of the converged host
(sec-mailhost or sec-pmta, same container through the podman connection) in the same groups,
with the bad value as a host variable, which wins over the scenario's group variables the way
a user's host_vars would. One ansible-playbook run of converge.yml per real host covers all its
cases in parallel (one run per case took minutes on a busy machine); each case still has its
own recap line.
A case counts as refused when its recap says failed=1 and changed=0, its failed task's message
names the variable, and its output holds no fragment of the real password; and the
configuration trees of every host hash the same after the run as before it (content, type, mode
and owner of every file: sec_helpers.tree_state).
The new classes run on the fresh host too (sec-bare, Postfix never installed): there the whole of
/etc and the package database must come out unchanged.
"""

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from egress_helpers import container
from sec_helpers import (
    BARE,
    FIGURES,
    MAILHOST,
    PMTA,
    PMTA_NEEDLES,
    POSTFIX_NEEDLES,
    adhoc,
    failures,
    found,
    json_run,
    tree_state,
)

SD = "postfix_relay_sender_dependent"
MN = "postfix_relay_mynetworks"
XC = "postfix_relay_extra_config"
RF = "postfix_relay_root_forward"
# Issue 12: the classes of input main (283c62b) accepted, several spellings each.
NEW_CLASSES = [
    ("mynetworks-v4-prefix-00", {MN: ["127.0.0.0/8", "0.0.0.0/00"]}, MN + "[1]"),
    ("mynetworks-v6-prefix-00", {MN: ["[::]/00"]}, MN + "[0]"),
    ("mynetworks-prefix-000", {MN: ["10.0.0.0/000"]}, MN + "[0]"),
    ("mynetworks-invalid-octets", {MN: ["999.1.1.1/99"]}, MN + "[0]"),
    ("mynetworks-dots", {MN: ["...."]}, MN + "[0]"),
    ("mynetworks-host-bits", {MN: ["10.0.0.1/8"]}, MN + "[0]"),
    ("mynetworks-too-public", {MN: ["8.0.0.0/8"]}, MN),
    ("mynetworks-two-public-24", {MN: ["8.8.8.0/24", "8.8.9.0/24"]}, MN),
    ("mynetworks-mapped-everything", {MN: ["[::ffff:0.0.0.0]/96"]}, MN),
    (
        "inet-interfaces-bad-address",
        {"postfix_relay_inet_interfaces": "127.0.0.1, 999.1.1.1"},
        "postfix_relay_inet_interfaces",
    ),
    ("extra-config-tls-per-site", {XC: {"smtp_tls_per_site": "hash:/etc/postfix/tls_per_site"}}, XC),
    ("extra-config-relay-domains", {XC: {"relay_domains": "static:all"}}, XC),
    ("extra-config-tls-policy", {XC: {"smtp_tls_policy_maps": "hash:/etc/postfix/tls_policy"}}, XC),
    ("extra-config-content-filter", {XC: {"content_filter": "smtp:[evil.test]:25"}}, XC),
    ("extra-config-unknown", {XC: {"egress_frobnicate": "1"}}, XC),
    ("extra-config-bad-kind", {XC: {"message_size_limit": "10M"}}, XC),
    ("extra-config-u2028", {XC: {"smtpd_banner": "mail\u2028relayhost = [evil.test]"}}, XC),
    ("root-forward-pipe", {RF: "|/bin/touch${IFS}/tmp/x@example.com"}, RF),
    ("root-forward-file", {RF: "/var/tmp/copy@example.com"}, RF),
    ("root-forward-include", {RF: ":include:/etc/postfix/list@example.com"}, RF),
    ("root-forward-quoted", {RF: '"ops team"@example.com'}, RF),
    (
        "sender-rewrite-pipe",
        {"postfix_relay_sender_rewrite": {"root": "|/bin/sh@example.com"}},
        "postfix_relay_sender_rewrite",
    ),
    (
        "sender-rewrite-comment-key",
        {"postfix_relay_sender_rewrite": {"#root": "ops@example.com"}},
        "postfix_relay_sender_rewrite",
    ),
    ("sd-comment-sender", {SD: [{"sender": "#ops@example.com", "host": "sec-smarthost"}]}, SD + "[0].sender"),
    ("host-vertical-tab", {"postfix_relay_host": "sec-smarthost\x0b"}, "postfix_relay_host"),
    ("myhostname-form-feed", {"postfix_relay_myhostname": "mail.example.test\x0c"}, "postfix_relay_myhostname"),
    ("myhostname-number", {"postfix_relay_myhostname": 12345}, "postfix_relay_myhostname"),
    ("root-forward-x1c", {RF: "ops@example.com\x1c"}, RF),
    (
        "sender-rewrite-nel",
        {"postfix_relay_sender_rewrite": "noreply@example.test\x85"},
        "postfix_relay_sender_rewrite",
    ),
    ("password-vertical-tab", {"postfix_relay_password": "Zq9:s3cr3t\x0bpw#X$%"}, "postfix_relay_password"),
    ("password-u2029", {"postfix_relay_password": "Zq9:s3cr3t pw#X$%\u2029"}, "postfix_relay_password"),
    ("password-leading-space", {"postfix_relay_password": " Zq9:s3cr3t pw#X$%"}, "postfix_relay_password"),
    ("password-trailing-space", {"postfix_relay_password": "Zq9:s3cr3t pw#X$% "}, "postfix_relay_password"),
    (
        "sd-password-control",
        {
            SD: [
                {
                    "sender": "@billing.test",
                    "host": "sec-smarthost",
                    "username": "altuser",
                    "password": "Zq9:s3cr3t pw#X$%\x1e",
                }
            ]
        },
        SD + "[0].password",
    ),
    # The audit of 2026-12-01: other spellings of the same classes (tests/unit/plugins/module_utils/
    # test_relay_settings_spellings.py); the first two were accepted on main 59705f8.
    ("mynetworks-local-nat64", {MN: ["[64:ff9b:1::]/96"]}, MN),
    ("extra-config-banner-expansion", {XC: {"smtpd_banner": "$myhostname ${smtp_sasl_password_maps}"}}, XC),
    ("mynetworks-mapped-upper-case", {MN: ["[::FFFF:0:0]/96"]}, MN),
    ("mynetworks-netmask-form", {MN: ["0.0.0.0/0.0.0.0"]}, MN + "[0]"),
    ("extra-config-name-case", {XC: {"Relay_Domains": "static:all"}}, XC),
    ("root-forward-fullwidth-pipe", {RF: "\uff5c/bin/sh@example.com"}, RF),
    (
        "alias-bidi-isolate",
        {"postfix_relay_aliases": {"postmaster": ["ops@example.com", "a\u2066@example.com"]}},
        "postfix_relay_aliases",
    ),
]
# The same classes on the fresh host (one spelling each: the rule is the same code).
BARE_BAD = [
    case
    for case in NEW_CLASSES
    if case[0]
    in (
        "mynetworks-v4-prefix-00",
        "mynetworks-too-public",
        "extra-config-tls-per-site",
        "root-forward-pipe",
        "sender-rewrite-comment-key",
        "host-vertical-tab",
        "password-leading-space",
        "password-vertical-tab",
        "mynetworks-local-nat64",
        "extra-config-banner-expansion",
    )
]
# (case id, extra variables, the variable the message must name)
POSTFIX_BAD = [
    ("host-newline", {"postfix_relay_host": "smtp.example.net\nrelayhost = evil.test"}, "postfix_relay_host"),
    ("host-whitespace", {"postfix_relay_host": "smtp example.net"}, "postfix_relay_host"),
    ("host-empty", {"postfix_relay_host": ""}, "postfix_relay_host"),
    ("host-comma", {"postfix_relay_host": "a.example.net,b.example.net"}, "postfix_relay_host"),
    ("host-brackets", {"postfix_relay_host": "[sec-smarthost]"}, "postfix_relay_host"),
    ("user-newline", {"postfix_relay_username": "relayuser\nroot"}, "postfix_relay_username"),
    ("user-whitespace", {"postfix_relay_username": "relay user"}, "postfix_relay_username"),
    ("user-colon", {"postfix_relay_username": "relay:user"}, "postfix_relay_username"),
    ("port-0", {"postfix_relay_port": 0}, "postfix_relay_port"),
    ("port-70000", {"postfix_relay_port": 70000}, "postfix_relay_port"),
    ("port-abc", {"postfix_relay_port": "abc"}, "postfix_relay_port"),
    ("provider-unknown", {"postfix_relay_provider": "sendgird"}, "postfix_relay_provider"),
    ("ses-without-region", {"postfix_relay_provider": "ses"}, "postfix_relay_provider_region"),
    ("region-without-provider", {"postfix_relay_provider_region": "eu"}, "postfix_relay_provider_region"),
    ("username-without-password", {"postfix_relay_password": None}, "postfix_relay_password"),
    ("password-without-username", {"postfix_relay_username": None}, "postfix_relay_username"),
    ("password-newline", {"postfix_relay_password": "first line\nsecond line"}, "postfix_relay_password"),
    ("may-without-opt-in", {"postfix_relay_tls_security_level": "may"}, "postfix_relay_tls_security_level"),
    (
        "none-on-465",
        {"postfix_relay_tls_security_level": "none", "postfix_relay_allow_plaintext": True, "postfix_relay_port": 465},
        "postfix_relay_tls_security_level",
    ),
    ("tls-level-unknown", {"postfix_relay_tls_security_level": "strict"}, "postfix_relay_tls_security_level"),
    ("sd-unknown-key", {SD: [{"sender": "@billing.test", "host": "sec-smarthost", "hots": "x"}]}, SD + "[0]"),
    ("sd-missing-host", {SD: [{"sender": "@billing.test", "port": 587}]}, SD + "[0].host"),
    ("sd-port-70000", {SD: [{"sender": "@billing.test", "host": "sec-smarthost", "port": 70000}]}, SD + "[0].port"),
    (
        "sd-username-without-password",
        {SD: [{"sender": "@billing.test", "host": "sec-smarthost", "username": "altuser"}]},
        SD + "[0].password",
    ),
    ("sd-sender-whitespace", {SD: [{"sender": "bill ing@billing.test", "host": "sec-smarthost"}]}, SD + "[0].sender"),
    (
        "myhostname-newline",
        {"postfix_relay_myhostname": "mail.example.test\nmydestination = evil.test"},
        "postfix_relay_myhostname",
    ),
    ("mynetworks-bad-entry", {"postfix_relay_mynetworks": ["0.0.0.0/0, evil"]}, "postfix_relay_mynetworks[0]"),
    (
        "inet-interfaces-newline",
        {"postfix_relay_inet_interfaces": "all\nmynetworks = 0.0.0.0/0"},
        "postfix_relay_inet_interfaces",
    ),
    (
        "extra-config-newline",
        {"postfix_relay_extra_config": {"smtp_helo_name": "a.test\nrelayhost = [evil.test]"}},
        "postfix_relay_extra_config",
    ),
    ("extra-config-bad-name", {"postfix_relay_extra_config": {"relayhost = evil": "x"}}, "postfix_relay_extra_config"),
    ("mynetworks-open-relay", {"postfix_relay_mynetworks": ["0.0.0.0/0"]}, "postfix_relay_mynetworks[0]"),
    (
        "extra-config-weakens-tls",
        {"postfix_relay_extra_config": {"smtp_tls_security_level": "may"}},
        "postfix_relay_extra_config",
    ),
    ("root-forward-not-address", {"postfix_relay_root_forward": "ops"}, "postfix_relay_root_forward"),
    (
        "sender-rewrite-newline",
        {"postfix_relay_sender_rewrite": "noreply@example.test\n@evil x"},
        "postfix_relay_sender_rewrite",
    ),
    ("ca-file-relative", {"postfix_relay_tls_ca_file": "ca.pem"}, "postfix_relay_tls_ca_file"),
    # YAML injection into main.cf (refused by relay_settings.validate_sasl_mechanisms).
    (
        "sasl-mechanisms-injection",
        {"postfix_relay_sasl_mechanisms": ['plain"\nrelayhost: "[evil.test]:25']},
        "postfix_relay_sasl_mechanisms",
    ),
] + NEW_CLASSES

PMTA_BAD = [
    ("port-465", {"powermta_relay_port": 465}, "powermta_relay_port"),
    ("port-70000", {"powermta_relay_port": 70000}, "powermta_relay_port"),
    ("port-abc", {"powermta_relay_port": "abc"}, "powermta_relay_port"),
    ("password-hash", {"powermta_relay_password": "pass#word"}, "powermta_relay_password"),
    ("password-quote", {"powermta_relay_password": 'pass"word'}, "powermta_relay_password"),
    ("username-without-password", {"powermta_relay_password": ""}, "powermta_relay_password"),
    ("host-newline", {"powermta_relay_host": "sec-smarthost\n<domain *>"}, "powermta_relay_host"),
    ("provider-unknown", {"powermta_relay_provider": "sendgird"}, "powermta_relay_provider"),
    ("listener-exposed", {"powermta_relay_listeners": [{"address": "0/0", "port": 25}]}, "powermta_relay_listeners"),
    (
        "open-relay-source",
        {"powermta_relay_sources": [{"match": "0/0", "always_allow_relaying": True}]},
        "powermta_relay_sources",
    ),
    ("retry-after", {"powermta_relay_retry_after": "soon"}, "powermta_relay_retry_after"),
    ("route-directive", {"powermta_relay_route_directive": "mx"}, "powermta_relay_route_directive"),
    (
        "smtp-user-name-space",
        {"powermta_relay_smtp_users": [{"name": "app user", "password": "x1"}]},
        "powermta_relay_smtp_users",
    ),
    # Directive injection through a line break (refused since the fix in tasks/validate.yml).
    (
        "postmaster-newline",
        {"powermta_relay_postmaster": "ops@example.test\nsmtp-listener 0/0:2525"},
        "powermta_relay_postmaster",
    ),
    (
        "host-name-newline",
        {"powermta_relay_host_name": "mail.example.test\nhttp-access 0/0 admin"},
        "powermta_relay_host_name",
    ),
    # A format character where only the character check stood (accepted on main 59705f8).
    (
        "package-src-bidi-isolate",
        {
            "powermta_relay_install": True,
            "powermta_relay_package_src": "/srv/pmta\u2066.deb",
            "powermta_relay_license_src": "/srv/license",
        },
        "powermta_relay_package_src",
    ),
]

TREES = {
    MAILHOST: ["/etc/postfix", "/etc/aliases"],
    PMTA: ["/etc/pmta", "/etc/group", "/etc/gshadow"],
    BARE: ["/etc", "/var/lib/dpkg/status"],
}
TARGETS = {
    # host: (groups of the real host, host variables of the real host, prefix of case aliases)
    MAILHOST: (["mailhosts", "postfix"], {"postfix_relay_inet_interfaces": "all"}, "bad-postfix-"),
    PMTA: (["pmtahosts"], {}, "bad-pmta-"),
    # converge.yml's Postfix play is for mailhosts: the fresh host's aliases join it.
    BARE: (["mailhosts", "postfix"], {}, "bad-bare-"),
}
CASES = (
    [(MAILHOST,) + case for case in POSTFIX_BAD]
    + [(PMTA,) + case for case in PMTA_BAD]
    + [(BARE,) + case for case in BARE_BAD]
)


def alias(host, case_id):
    return TARGETS[host][2] + case_id


def cases_inventory(path):
    """One alias host per case: same container, same groups, the bad value as a host variable."""
    groups = dict((name, {"hosts": {}}) for name in ["badcases"] + [t[2] + "cases" for t in TARGETS.values()])
    for host, case_id, extra, _dummy in CASES:
        name = alias(host, case_id)
        variables = {"ansible_connection": "podman", "ansible_host": host, "ansible_podman_executable": "podman"}
        variables.update(TARGETS[host][1])
        variables.update(extra)
        groups["badcases"]["hosts"][name] = variables
        groups[TARGETS[host][2] + "cases"]["hosts"][name] = None
        for group in TARGETS[host][0]:
            groups.setdefault(group, {"hosts": {}})["hosts"][name] = None
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"children": groups}}, handle, indent=1)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    inventory = str(tmp_path_factory.mktemp("badcases") / "badcases.json")
    cases_inventory(inventory)
    # The roles gather facts only when os_family or fqdn is missing: the cases get the facts of
    # their real host from a fact cache, so that the run does not gather them 49 times.
    cache = str(tmp_path_factory.mktemp("factcache"))
    env = {"ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": cache}
    gathered = adhoc(",".join(TREES), "ansible.builtin.setup", "gather_subset=min", **env)
    assert gathered.returncode == 0, gathered.output[-2000:]
    files = os.listdir(cache)  # named <prefix><host>, prefix as the cache plugin chooses
    for host, case_id, _dummy, _dummy in CASES:
        [name] = [f for f in files if f.endswith(host) and not f.endswith("-" + host)]
        shutil.copyfile(os.path.join(cache, name), os.path.join(cache, name[: -len(host)] + alias(host, case_id)))
    before = dict((host, tree_state(container(host), paths)) for host, paths in TREES.items())
    # One run per target host: a play in which every host failed ends the whole playbook.
    with ThreadPoolExecutor(max_workers=len(TREES)) as pool:
        runs = list(
            pool.map(
                lambda group: json_run("converge.yml", "-i", inventory, "--limit", group, "--forks", "25", **env),
                [TARGETS[host][2] + "cases" for host in TREES],
            )
        )
    report = {"stats": {}, "plays": []}
    for _dummy, part, _dummy in runs:
        report["stats"].update(part.get("stats", {}))
        report["plays"] += part.get("plays", [])
    raw = "".join(run[2] for run in runs)
    returncodes = [run[0] for run in runs]
    after = dict((host, tree_state(container(host), paths)) for host, paths in TREES.items())
    results = {}
    for host, case_id, _extra, variable in CASES:
        name = alias(host, case_id)
        results[(host, case_id)] = {
            "variable": variable,
            "stats": report.get("stats", {}).get(name, {}),
            "failures": failures(report, name),
        }
    leaks = {MAILHOST: found(raw, POSTFIX_NEEDLES + PMTA_NEEDLES)}
    return {
        "returncodes": returncodes,
        "results": results,
        "unchanged": before == after,
        "leaks": leaks,
        "changed_hosts": sorted(h for h in TREES if before[h] != after[h]),
    }


def _refused(result):
    """Why a case does not count as refused ('' when it does)."""
    if result["stats"].get("failures") != 1:
        return "the run did not fail: %s" % (result["stats"] or "no recap for this case")
    if result["stats"].get("changed") != 0:
        return "the failed run changed something: %s" % result["stats"]
    if len(result["failures"]) != 1 or result["variable"] not in result["failures"][0][1]:
        return "the message does not name %s: %s" % (result["variable"], result["failures"])
    return ""


@pytest.mark.parametrize("host,case_id,extra,variable", CASES, ids=["%s:%s" % (c[0], c[1]) for c in CASES])
def test_bad_input_is_refused_before_any_change(outcomes, host, case_id, extra, variable):
    problem = _refused(outcomes["results"][(host, case_id)])
    assert not problem, "%s %s: %s" % (host, case_id, problem)


def test_bad_input_changed_no_configuration_and_leaked_no_password(outcomes):
    assert all(returncode != 0 for returncode in outcomes["returncodes"])
    assert outcomes["unchanged"], "configuration changed on %s" % outcomes["changed_hosts"]
    assert outcomes["leaks"] == {MAILHOST: []}, "password fragments in the output of the bad-input run"


def test_bad_input_tally(outcomes):
    tally = {}
    for (host, _case_id), result in outcomes["results"].items():
        entry = tally.setdefault(host, {"tried": 0, "refused": 0})
        entry["tried"] += 1
        entry["refused"] += 0 if _refused(result) or not outcomes["unchanged"] else 1
    FIGURES["bad input tried/refused"].update(
        dict((host, "%(tried)d tried, %(refused)d refused" % entry) for host, entry in tally.items())
    )
    assert tally[MAILHOST]["tried"] >= 60 and tally[PMTA]["tried"] >= 5 and tally[BARE]["tried"] >= 8, tally
    assert all(entry["tried"] == entry["refused"] for entry in tally.values()), tally
