#!/usr/bin/python
# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: smtp_probe
short_description: Find out which SMTP ports get out of a host, and which relay port to use
version_added: 0.1.0
description:
  - Probes, from the target host, SMTP servers on a list of ports (by default 25, 465, 587 and 2525) and reports,
    for every host, port and resolved address, whether the connection gets out and what answers.
  - Meant for hosts whose cloud or ISP blocks outbound TCP port 25, to prove the block and to pick the port
    (587, 2525 or 465) on which an authenticated smarthost can be reached with TLS.
  - Every A and AAAA address that C(getaddrinfo) returns for a host is probed separately.
  - 'What is sent: after the greeting the probe sends C(EHLO); on ports not listed in O(implicit_tls_ports),
    when the server offers C(STARTTLS) and O(starttls=true), it sends C(STARTTLS), does the TLS handshake and
    sends C(EHLO) again; it always ends with C(QUIT) when the session is still usable.
    It never sends C(AUTH), C(MAIL), C(RCPT) or C(DATA): no credentials are used and no mail is sent.'
  - All probes run concurrently on at most O(max_workers) threads, so K ports that drop packets cost about one
    O(timeout) (a deadline for the whole exchange of one connection), not K timeouts. Name resolution of all
    hosts is also bounded by O(timeout).
  - 'Each result has one of these states:'
  - 'V(open): the server greeted with C(220) (and the greeting matches O(expect_banner) when set). On an
    implicit-TLS port this also means the TLS handshake succeeded. An V(open) result with RV(results[].tls_version)
    set is "open with TLS".'
  - 'V(refused): the connection was refused (TCP reset, or ICMP port unreachable). Either nothing listens on the
    port or a firewall rejects with a reset.'
  - 'V(filtered): no answer to the connection attempt within O(timeout): the packets are dropped somewhere, the
    usual sign of an outbound port 25 block.'
  - 'V(unreachable): the kernel reported the network or host unreachable (C(ENETUNREACH), C(EHOSTUNREACH)), which
    includes ICMP "administratively prohibited" replies from a rejecting firewall, no route (for example an
    IPv6 address on a host without IPv6 connectivity), or a local firewall rule (C(EPERM), C(EACCES)).'
  - 'V(no_banner): TCP connected, but no complete greeting arrived within O(timeout), or the server closed or
    reset the connection before greeting.'
  - 'V(rejected): the server greeted with a C(4xx) or C(5xx) reply (for example C(554) "no SMTP service here"
    or C(421) "service not available"), or answered C(EHLO) with a C(4xx) or C(5xx) reply, before or after TLS
    (a server that completes the TLS handshake and then refuses C(EHLO) is V(rejected), never V(open)).
    The probe then sends C(QUIT).'
  - 'V(intercepted): something other than the expected SMTP server answered: the greeting does not match
    O(expect_banner), or the first line is not an SMTP reply at all (for example an SSH or HTTP banner), or the
    greeting code is neither C(220) nor C(4xx)/C(5xx), or C(EHLO) was answered with a code that is neither C(250)
    nor C(4xx)/C(5xx), or a plaintext SMTP greeting arrived on an implicit-TLS
    port (a transparent SMTP proxy in the path, or a server that speaks STARTTLS rather than implicit TLS on that
    port). For a banner mismatch the probe still does EHLO and STARTTLS and reports what it saw.'
  - 'V(tls_failed): STARTTLS was offered but the server refused the C(STARTTLS) command or the TLS handshake
    failed, or the TLS handshake on an implicit-TLS port failed, or (only when O(ca_file) is set) the certificate
    did not verify against O(ca_file); and also when the handshake succeeded but the session then broke before
    the C(EHLO) over TLS was answered: the server closed or reset the connection (on an implicit-TLS port:
    before its greeting), sent something that is not an SMTP reply, or did not answer within O(timeout). Such a
    port is never counted as open and never recommended; RV(results[].tls_version) still shows the handshake.'
  - 'V(dns_error): the host name did not resolve (or resolution took longer than O(timeout)); one result per port
    is returned for the host, with RV(results[].address) set to V(null).'
  - RV(port25_blocked) sums up port 25. Note that V(refused) counts as blocked; a submission-only smarthost
    often does not listen on 25 at all. To test the port 25 block itself, probe a host known to accept mail on
    25 (an MX), preferably in a separate task.
  - It also tells why port 25 may be blocked, from the cloud provider the target runs on (O(cloud_detection)), in
    one line (RV(msg)).
author:
  - egress.mail contributors (!UNKNOWN)
options:
  hosts:
    description:
      - Host names or IP addresses to probe. IPv6 literals may be written with or without brackets.
      - Duplicates are probed once. Entries must not be empty or contain whitespace.
    type: list
    elements: str
    required: true
  ports:
    description:
      - TCP ports to probe on every host and address (each between 1 and 65535).
    type: list
    elements: int
    default: [25, 465, 587, 2525]
  timeout:
    description:
      - Deadline in seconds for one connection, covering the whole exchange (connect, greeting, EHLO, STARTTLS,
        TLS handshake, EHLO again and QUIT). Must be greater than 0.
      - A V(filtered) port costs exactly this long; the whole run usually takes about one O(timeout) (more when
        there are more probes than O(max_workers)).
    type: float
    default: 5
  implicit_tls_ports:
    description:
      - Ports on which the server speaks TLS from the first byte (SMTPS, "TLS wrapper mode", Postfix
        C(smtp_tls_wrappermode)).
      - On these ports the TLS handshake is done right after the TCP connection, before the greeting is read,
        and STARTTLS is never used.
    type: list
    elements: int
    default: [465]
  starttls:
    description:
      - Do STARTTLS when the server offers it (see the description), and record the TLS version, cipher and
        verification status and the AUTH mechanisms offered over TLS.
      - When V(false), EHLO is still sent (to report whether STARTTLS is offered and which AUTH mechanisms are
        offered in plaintext), but no TLS is negotiated; such ports then never count as "open with TLS", so only
        implicit-TLS ports can become RV(recommended_port).
    type: bool
    default: true
  ehlo_name:
    description:
      - Name sent with EHLO; by default the fully qualified domain name of the target (Python's C(socket.getfqdn)).
    type: str
  ca_file:
    description:
      - Path on the target to a PEM file of CA certificates.
      - When set, the TLS handshake verifies the server certificate (chain and host name) against these CAs only;
        RV(results[].tls_verified) is V(true) or V(false), and a certificate that does not verify makes the state
        V(tls_failed).
      - When not set, the certificate is verified against the system CA store, but a verification failure never
        fails the probe; RV(results[].tls_verified) is V(false), the reason is added to RV(results[].error), and
        the probe makes a second, unverified connection within the same deadline to read the TLS details and AUTH
        mechanisms.
    type: path
  expect_banner:
    description:
      - Python regular expression searched (C(re.search)) in the greeting, including its reply code, for example
        V(^220 smtp\\.example\\.net ).
      - A C(220) greeting that does not match gives state V(intercepted). Useful to detect transparent SMTP proxies
        that some networks put on outbound port 25 or 587.
    type: str
  prefer:
    description:
      - Ports in order of preference for RV(recommended_port). Ports not in O(ports) are never recommended.
    type: list
    elements: int
    default: [587, 2525, 465]
  max_workers:
    description:
      - Maximum number of probes (connections) running at the same time, between 1 and 1024.
    type: int
    default: 64
  require_recommended:
    description:
      - When V(true) and no port of O(prefer) is open with TLS on every host, the module fails.
      - 'The failure message lists, host by host and port by port, the state and the error, for example
        "no usable relay port on smtp.example.net: 587 refused (Connection refused); 2525 filtered (no answer
        within 5s); 465 tls_failed (...)". All return values are still returned with the failure.'
    type: bool
    default: false
extends_documentation_fragment:
  - egress.mail.cloud_detection
  - egress.mail.attributes.read_only
  - egress.mail.attributes
notes:
  - The probe runs on the target host, so it measures that host's egress, which is the point.
  - Only the Python standard library is used (Python 3.8 or later on the target).
  - TLS uses the defaults of the target's Python C(ssl) module (TLS 1.2 or later on recent systems), so a server
    that only speaks older TLS versions shows up as V(tls_failed).
seealso:
  - name: RFC 8314 (Cleartext considered obsolete, implicit TLS for submission)
    description: Why port 465 with implicit TLS is a recommended submission port again.
    link: https://www.rfc-editor.org/rfc/rfc8314
  - name: RFC 3207 (SMTP STARTTLS)
    description: The STARTTLS extension the probe uses on ports 25, 587 and 2525.
    link: https://www.rfc-editor.org/rfc/rfc3207
"""

EXAMPLES = r"""
- name: Probe a smarthost on all usual SMTP ports
  egress.mail.smtp_probe:
    hosts:
      - smtp.example.net
  register: probe

- name: Show what gets out
  ansible.builtin.debug:
    msg: >-
      port 25 blocked: {{ probe.port25_blocked }},
      open: {{ probe.open_ports }},
      use port {{ probe.recommended_port }}

- name: Configure the relay on the recommended port
  ansible.builtin.lineinfile:
    path: /etc/postfix/main.cf
    regexp: '^relayhost\s*='
    line: "relayhost = [smtp.example.net]:{{ probe.recommended_port }}"
  when: probe.recommended_port is not none

- name: Use TLS wrapper mode when the recommended port is an implicit-TLS port
  ansible.builtin.lineinfile:
    path: /etc/postfix/main.cf
    regexp: '^smtp_tls_wrappermode\s*='
    line: "smtp_tls_wrappermode = {{ 'yes' if probe.recommended_wrappermode else 'no' }}"

- name: Fail early when no relay port works with TLS
  egress.mail.smtp_probe:
    hosts:
      - smtp.example.net
    ports: [587, 2525, 465]
    timeout: 3
    require_recommended: true

- name: Check that our own relay answers and is not intercepted, verifying its certificate
  egress.mail.smtp_probe:
    hosts:
      - relay.example.net
    ports: [587]
    prefer: [587]
    expect_banner: '^220 relay\.example\.net '
    ca_file: /etc/ssl/certs/example-internal-ca.pem
    ehlo_name: web01.example.org
  register: relay_probe

- name: Test whether the provider blocks outbound port 25 (probe an MX that accepts on 25)
  egress.mail.smtp_probe:
    hosts:
      - mx.example.org
    ports: [25, 587]
    timeout: 4
  register: port25

- name: Report the block, with the provider's documented policy
  ansible.builtin.debug:
    msg: "{{ port25.msg }}"  # port 25 filtered; Azure blocks outbound 25 for this subscription type since ...
  when: port25.port25_blocked | default(false, true)

- name: Probe from a container, reading the host's DMI strings mounted at /host/dmi
  egress.mail.smtp_probe:
    hosts:
      - smtp.example.net
    dmi_path: /host/dmi
    cloud_files_root: /host
"""

RETURN = r"""
results:
  description:
    - One entry per host, port and resolved address, in the order of O(hosts), then O(ports), then resolver order
      (a host that does not resolve gives one V(dns_error) entry per port).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Host as given in O(hosts) (without brackets).
      type: str
      sample: smtp.example.net
    port:
      description: TCP port.
      type: int
      sample: 587
    address:
      description: IP address probed, V(null) for V(dns_error).
      type: str
      sample: 192.0.2.25
    state:
      description:
        - Outcome, see the module description for the meaning of each state. Only V(open) with
          RV(results[].tls_version) set counts as usable for RV(recommended_port).
      type: str
      choices: [open, refused, filtered, unreachable, no_banner, rejected, intercepted, tls_failed, dns_error]
      sample: open
    banner:
      description:
        - The greeting as received (lines of a multi-line greeting joined with a newline), or the non-SMTP line
          received instead. V(null) when no greeting was read.
      type: str
      sample: 220 smtp.example.net ESMTP
    latency_ms:
      description:
        - Milliseconds from the start of the connection until the greeting was read (on implicit-TLS ports this
          includes the TLS handshake). V(null) when no greeting was read.
      type: float
      sample: 42.7
    starttls:
      description:
        - Whether the server offered STARTTLS in its EHLO reply. V(null) on implicit-TLS ports and when no EHLO
          reply was read.
      type: bool
      sample: true
    tls_version:
      description: Negotiated TLS version, V(null) without TLS.
      type: str
      sample: TLSv1.3
    tls_cipher:
      description: Negotiated cipher suite, V(null) without TLS.
      type: str
      sample: TLS_AES_256_GCM_SHA384
    tls_verified:
      description:
        - Whether the certificate verified (against O(ca_file), or else the system CA store) including the host
          name. V(null) when no TLS handshake was attempted.
      type: bool
      sample: true
    auth_mechanisms:
      description:
        - SASL mechanisms offered in the last EHLO reply read (the one over TLS when STARTTLS was done), upper case.
      type: list
      elements: str
      sample: [PLAIN, LOGIN]
    error:
      description:
        - What went wrong or is worth knowing (for example the certificate verification failure), V(null) if
          nothing.
      type: str
      sample: Connection refused
port25_blocked:
  description:
    - V(true) when no host could be reached on port 25 at the TCP level (every port 25 result is V(filtered),
      V(refused) or V(unreachable)) while the network itself works (some other result has a state other than
      V(filtered), V(refused), V(unreachable) and V(dns_error)); V(false) when TCP connected on port 25 to at least
      one address (V(open), V(rejected), V(no_banner), V(intercepted) or V(tls_failed)); V(null) when it cannot be
      told (port 25 not probed, no host resolved, or nothing answered on any port at all).
  returned: always
  type: bool
  sample: true
open_ports:
  description: Sorted ports in state V(open) on at least one address (with or without TLS).
  returned: always
  type: list
  elements: int
  sample: [465, 587]
blocked_ports:
  description: Sorted ports that are V(filtered), V(refused) or V(unreachable) on every address of every resolved host.
  returned: always
  type: list
  elements: int
  sample: [25]
recommended_port:
  description:
    - First port of O(prefer) that is V(open) with TLS (STARTTLS done, or implicit TLS) on at least one address of
      every host in O(hosts); V(null) if there is none.
  returned: always
  type: int
  sample: 587
recommended_wrappermode:
  description:
    - V(true) when RV(recommended_port) is one of O(implicit_tls_ports) (set Postfix C(smtp_tls_wrappermode=yes));
      V(false) otherwise, including when there is no recommended port.
  returned: always
  type: bool
  sample: false
recommended_by_host:
  description: For each host, the first port of O(prefer) that is open with TLS on that host, or V(null).
  returned: always
  type: dict
  sample: {"smtp.example.net": 587}
msg:
  description:
    - One line saying what the probe saw on port 25, the provider's documented policy when the provider is known,
      and the port to relay on (see the sample).
    - C(cloud provider unknown) when the provider is not detected (or O(cloud_detection=false)); C(no relay port
      open with TLS) when RV(recommended_port) is V(null).
  returned: success
  type: str
  sample: port 25 filtered; Azure blocks outbound 25 for this subscription type since 2017-11-15; relay on 587
cloud:
  description:
    - The cloud provider the target runs on, detected offline from DMI strings and well-known files.
      V(null) when O(cloud_detection=false).
  returned: always
  type: dict
  contains:
    provider:
      description: Provider id, V(unknown) when no signature matched.
      type: str
      choices: [aws, azure, gcp, ibm, oracle, digitalocean, hetzner, ovh, linode, vultr, scaleway, unknown]
      sample: azure
    name:
      description: Display name of the provider.
      type: str
      sample: Microsoft Azure
    evidence:
      description:
        - The file values that matched, each with where the signature is documented; for V(unknown), the DMI values
          that were read (what the host shows instead).
      type: list
      elements: str
      sample: ["/sys/class/dmi/id/chassis_asset_tag = '7783-7084-3265-9085-8269-3286-77' (...)"]
    unreadable:
      description: Files that exist but could not be read, with the reason (C(product_serial) is root-only).
      type: list
      elements: str
      sample: ["/sys/class/dmi/id/product_serial (Permission denied)"]
port25_policy:
  description:
    - The detected provider's documented outbound port 25 policy (the table on the docs page "Outbound port 25
      policies of cloud providers"); V(null) when the provider is unknown or O(cloud_detection=false).
    - Where no provider document was found the values are V(unknown); nothing is guessed.
  returned: always
  type: dict
  contains:
    provider:
      description: Provider id, as in RV(cloud.provider).
      type: str
      sample: azure
    name:
      description: Display name.
      type: str
      sample: Microsoft Azure
    status:
      description: What the provider does to outbound 25.
      type: str
      choices: [blocked, throttled, blocked_on_abuse, blocked_by_default, unknown]
      sample: blocked
    ports:
      description: The outbound ports the policy covers.
      type: list
      elements: int
      sample: [25]
    since:
      description: Date (ISO) the policy started, V(null) when the source gives none.
      type: str
      sample: '2017-11-15'
    rules:
      description:
        - For whom the policy applies (C(who)), whether port 25 is blocked for them (C(blocked)), and whether and how
          it can be lifted (C(lift)).
      type: list
      elements: dict
      sample: [{"who": "Enterprise Agreement subscriptions", "blocked": "no", "lift": "not needed: never blocked"}]
    relay_ports:
      description: Ports the provider recommends for an authenticated relay (empty when its document names none).
      type: list
      elements: int
      sample: [587, 443]
    what_to_do:
      description: One sentence on what to do.
      type: str
    summary:
      description: The policy in one clause (used in RV(msg)).
      type: str
      sample: Azure blocks outbound 25 for this subscription type since 2017-11-15
    source:
      description: The provider's document this comes from, or V(unknown).
      type: str
    source_date:
      description: Date of that document, or V(unknown).
      type: str
      sample: '2021-01-04'
    source_url:
      description: Address of that document, V(null) when none.
      type: str
elapsed_ms:
  description: Wall-clock milliseconds for the whole run (name resolution and all probes).
  returned: always
  type: float
  sample: 5012.4
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.egress.mail.plugins.module_utils.smtp_probe import (
    DEFAULT_IMPLICIT_TLS_PORTS,
    DEFAULT_MAX_WORKERS,
    DEFAULT_PORTS,
    DEFAULT_PREFER,
    DEFAULT_TIMEOUT,
    ProbeArgumentError,
    probe,
    unusable_message,
)
from ansible_collections.egress.mail.plugins.module_utils.port25_explain import explain


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="list", elements="str", required=True),
            ports=dict(type="list", elements="int", default=list(DEFAULT_PORTS)),
            timeout=dict(type="float", default=DEFAULT_TIMEOUT),
            implicit_tls_ports=dict(type="list", elements="int", default=list(DEFAULT_IMPLICIT_TLS_PORTS)),
            starttls=dict(type="bool", default=True),
            ehlo_name=dict(type="str"),
            ca_file=dict(type="path"),
            expect_banner=dict(type="str"),
            prefer=dict(type="list", elements="int", default=list(DEFAULT_PREFER)),
            max_workers=dict(type="int", default=DEFAULT_MAX_WORKERS),
            require_recommended=dict(type="bool", default=False),
            cloud_detection=dict(type="bool", default=True),
            dmi_path=dict(type="path", default="/sys/class/dmi/id"),
            cloud_files_root=dict(type="path", default="/"),
        ),
        supports_check_mode=True,
    )
    try:
        options, report = probe(module.params)  # the arguments checked, then the probes run
    except ProbeArgumentError as exc:
        module.fail_json(msg=str(exc))
    report.update(
        explain(
            report,
            detection=module.params["cloud_detection"],
            dmi_path=module.params["dmi_path"],
            files_root=module.params["cloud_files_root"],
        )
    )
    if options.require_recommended and report["recommended_port"] is None:
        report["msg"] = unusable_message(report, options)
        module.fail_json(changed=False, **report)
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
