# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Logic of the egress.mail.postconf module: manage Postfix main.cf parameters.

How postconf behaves (checked against the Postfix sources, postconf_main.c):

* ``postconf -c DIR name1 name2`` prints ``name = value`` for each known
  parameter, one per line and in the order asked, with whitespace collapsed
  and ``$name`` left unexpanded. A name postconf does not know produces *no*
  output line, only ``postconf: warning: NAME: unknown parameter`` on stderr,
  and the exit status stays 0. Therefore the ``-h`` (values only) output
  cannot be mapped back to names once one name is unknown; this module asks
  for ``name = value`` lines and maps them by name.
* Parameters that postconf does not know (typos, or user-defined parameters
  nothing refers to) are not shown by ``postconf`` nor ``postconf -n`` even
  when main.cf sets them, so whether a parameter is explicitly set, and the
  value of unknown ones, are read from main.cf itself.
* ``postconf -e name=value ...`` writes several parameters in one call;
  ``postconf -X name ...`` removes several. Either writes main.cf whole (a temporary file
  renamed over it), so the file is complete once postconf has exited.
* Postfix reads a main.cf changed within the last second again, every 300 ms, until it is older
  (a file an editor is still writing may be half done): each postconf, ``postfix check`` or reload
  right after an edit slept up to 2 s. After each edit this module sets main.cf's times
  ``SETTLE_SECONDS`` back (see :func:`settle`).

With ``stage=True`` a change is first made to a copy of the configuration directory (a
temporary directory, 0700), which ``postconf -c STAGE -M`` (parses master.cf) and
``postfix -c STAGE check`` must accept; only then are the live main.cf and master.cf changed.
A configuration Postfix refuses therefore never becomes live.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import stat
import tempfile
import time

from collections import OrderedDict

from ansible_collections.egress.mail.plugins.module_utils import secret_file

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
_OUTPUT_LINE_RE = re.compile(r"^([A-Za-z0-9_./-]+) =(?: (.*))?$")
_UNKNOWN_RE = re.compile(r"warning: ([^\s:]+): unknown parameter")
_SEPARATORS_RE = re.compile(r"[ \t\r\n]+")
MAIN_CF = "main.cf"
MASTER_CF = "master.cf"
DEFAULT_MARKER = "# {mark} ANSIBLE MANAGED BLOCK"
# What Postfix's ISSPACE() trims; str.strip() would also take \x1c-\x1f, \x85, \u2028 ...
_POSTFIX_SPACE = " \t\n\r\v\f"


class PostconfError(Exception):
    """An error with a message fit for the user."""


def validate_name(name, what="parameter name"):
    """Refuse anything but a plain main.cf parameter name."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise PostconfError(
            "invalid %s %r: main.cf parameter names consist of a-z, 0-9 and _ "
            "(master.cf service parameters are not supported)" % (what, name)
        )
    return name


def normalize_value(text):
    """Collapse whitespace the way postconf prints values: no reordering, no other change."""
    return " ".join(word for word in _SEPARATORS_RE.split(text) if word)


def _format_scalar(value, name):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise PostconfError(
            "parameter '%s': value is null; use '' for an empty value, or list the parameter "
            "in absent to remove it" % name
        )
    raise PostconfError(
        "parameter '%s': unsupported value type %s (use a string, integer, boolean or list)"
        % (name, type(value).__name__)
    )


def format_value(value, name):
    """Turn a module value into the normalized main.cf text.

    Booleans become yes/no, integers strings, lists are joined with ', '.
    Newlines and other control characters are refused.
    """
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if isinstance(item, (list, tuple, dict)):
                raise PostconfError("parameter '%s': list items must be scalars" % name)
            items.append(_format_scalar(item, name))
        text = ", ".join(items)
    else:
        text = _format_scalar(value, name)
    if "\n" in text or "\r" in text:
        raise PostconfError("parameter '%s': value contains a newline" % name)
    if any(ord(ch) < 32 and ch != "\t" or 127 <= ord(ch) <= 159 or ch in "\u2028\u2029" for ch in text):
        raise PostconfError("parameter '%s': value contains a control character or a line separator" % name)
    return normalize_value(text)


def prepare(parameters, absent):
    """Validate the module arguments.

    Returns (desired, absent): an OrderedDict name -> normalized value (in the
    order given) and a de-duplicated list.
    """
    desired = OrderedDict()
    for name in parameters or {}:
        validate_name(name)
        desired[name] = format_value(parameters[name], name)
    removals = []
    for name in absent or []:
        validate_name(name, "name in absent")
        if name in desired:
            raise PostconfError("parameter '%s' is both in parameters and in absent" % name)
        if name not in removals:
            removals.append(name)
    return desired, removals


def build_show_command(postconf, config_dir, names):
    """``postconf -c DIR name...``: the effective values as ``name = value`` lines."""
    return [postconf, "-c", config_dir] + list(names)


def build_edit_command(postconf, config_dir, changes):
    """``postconf -c DIR -e name=value ...`` for a list of (name, value)."""
    return [postconf, "-c", config_dir, "-e"] + ["%s=%s" % (name, value) for name, value in changes]


def build_remove_command(postconf, config_dir, names):
    """``postconf -c DIR -X name ...``."""
    return [postconf, "-c", config_dir, "-X"] + list(names)


def parse_show_output(stdout):
    """Parse ``name = value`` lines printed by postconf into a dict (value '' for ``name =``)."""
    values = {}
    for line in stdout.split("\n"):  # not splitlines(): \v \f \x1c-\x1e \x85 \u2028 \u2029 are not line ends
        if not line.strip():
            continue
        match = _OUTPUT_LINE_RE.match(line)
        if not match:
            raise PostconfError("cannot parse postconf output line %r" % line)
        values[match.group(1)] = normalize_value(match.group(2) or "")
    return values


def parse_unknown_parameters(stderr):
    """Names postconf reported as ``unknown parameter`` on stderr."""
    return [match.group(1) for match in _UNKNOWN_RE.finditer(stderr or "")]


def parse_main_cf(text):
    """Parse main.cf text into an OrderedDict of explicitly set name -> normalized value.

    Follows main.cf syntax: a logical line starts with non-whitespace text,
    a line starting with whitespace continues it, empty lines and lines whose
    first non-whitespace character is '#' are ignored. A later setting
    overrides an earlier one.
    """
    logical = []
    for line in text.split("\n"):  # as Postfix reads it: only \n ends a line
        stripped = line.strip(_POSTFIX_SPACE)
        if not stripped or stripped.startswith("#"):
            continue
        if line[0] in " \t" and logical:
            logical[-1] += " " + stripped
        else:
            logical.append(stripped)
    result = OrderedDict()
    for line in logical:
        if "=" not in line:
            continue
        name, value = line.split("=", 1)
        name = name.strip(_POSTFIX_SPACE)
        if name in result:
            del result[name]
        result[name] = normalize_value(value)
    return result


def compute_changes(desired, current, explicit, absent):
    """Return (changes, removals).

    ``changes`` lists (name, value) for desired values that differ from the
    current effective ones (unknown parameters count as empty); ``removals``
    lists the names in ``absent`` that main.cf sets explicitly.
    """
    changes = []
    for name, value in desired.items():
        if normalize_value(current.get(name) or "") != value:
            changes.append((name, value))
    removals = [name for name in absent if name in explicit]
    return changes, removals


def build_diff(changes, removals, current, config_dir):
    """Diff of the changed keys only, as main.cf lines."""
    before = []
    after = []
    for name, value in changes:
        if current.get(name) is not None:
            before.append("%s = %s\n" % (name, current[name]))
        after.append("%s = %s\n" % (name, value))
    for name in removals:
        before.append("%s = %s\n" % (name, current.get(name) or ""))
    path = os.path.join(config_dir, MAIN_CF)
    return {
        "before": "".join(before),
        "after": "".join(after),
        "before_header": path,
        "after_header": path,
    }


def set_block(text, block, marker=DEFAULT_MARKER):
    """``text`` (master.cf) with ``block`` between the lines ``marker`` gives for BEGIN and END.

    Written the way ansible.builtin.blockinfile writes it (insertafter=EOF, the last marker
    pair replaced), so a file converged with blockinfile is unchanged. An empty block removes
    the block and its markers. Only ``\n`` ends a line.
    """
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    new = []
    if block:
        new = [begin] + (block[:-1] if block.endswith("\n") else block).split("\n") + [end]
    starts = [i for i, line in enumerate(lines) if line == begin]
    ends = [i for i, line in enumerate(lines) if line == end]
    if starts and ends:
        first, last = sorted((starts[-1], ends[-1]))
        lines[first : last + 1] = new
    else:
        lines.extend(new)
    return "".join(line + "\n" for line in lines)


def _read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except (IOError, OSError) as exc:
        raise PostconfError("cannot read %s: %s" % (path, exc))


def _copy_config(config_dir, stage):
    """Copy every entry of ``config_dir`` into ``stage`` (symlinks as symlinks)."""
    for name in os.listdir(config_dir):
        src, dest = os.path.join(config_dir, name), os.path.join(stage, name)
        if os.path.isdir(src) and not os.path.islink(src):
            shutil.copytree(src, dest, symlinks=True)
        else:
            shutil.copy2(src, dest, follow_symlinks=False)


def _replace(path, text):
    """Replace ``path`` atomically, keeping its owner and mode (0644 for a new file)."""
    try:
        info = os.stat(path)
        mode, uid, gid = stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid
    except OSError:
        mode, uid, gid = 0o644, -1, -1
    try:
        secret_file.write(path, text.encode("utf-8", "surrogateescape"), mode, uid, gid)
    except OSError as exc:
        raise PostconfError("cannot write %s: %s" % (path, exc))


def _logged_reason(run_command, log_command, since, stage, config_dir):
    """What Postfix logged since ``since``: it writes its fatal errors to stderr only when that is
    a terminal, otherwise only to the system log."""
    if not log_command:
        return "(Postfix wrote the reason to the mail log only)"
    deadline = time.monotonic() + 2  # the journal may store the line a moment after the exit
    while True:
        rc, out, dummy = run_command(list(log_command) + ["--since", "@%d" % int(since)])
        lines = [line for line in (out or "").split("\n") if line.strip()] if rc == 0 else []
        if lines or time.monotonic() >= deadline:
            return " ".join(lines[-5:]).replace(stage, config_dir) or "(nothing in the mail log)"
        time.sleep(0.2)


def staged_check(run_command, postconf, postfix, config_dir, changes, removals, master_text, log_command=None):
    """Make the changes to a copy of ``config_dir`` and have Postfix check it; raise when refused."""
    since = time.time() - 1
    stage = tempfile.mkdtemp(prefix="egress-postfix-stage-")
    try:
        try:
            _copy_config(config_dir, stage)
        except (IOError, OSError, shutil.Error) as exc:
            raise PostconfError("cannot copy %s to a staging directory: %s" % (config_dir, exc))
        if master_text is not None:
            _replace(os.path.join(stage, MASTER_CF), master_text)
        if changes:
            _edit(run_command, build_edit_command(postconf, stage, changes), stage)
        if removals:
            _edit(run_command, build_remove_command(postconf, stage, removals), stage)
        for args in ([postconf, "-c", stage, "-M"], [postfix, "-c", stage, "check"]):
            rc, out, err = run_command(args)
            if rc != 0:
                detail = " ".join((err or out or "").replace(stage, config_dir).split())
                detail = detail or _logged_reason(run_command, log_command, since, stage, config_dir)
                raise PostconfError(
                    "the new configuration was refused and nothing in %s was changed: "
                    "%s (on a staged copy) failed: %s" % (config_dir, " ".join(args[:1] + args[3:]), detail[:2000])
                )
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# A main.cf whose SASL password maps are given inline (static:user:password, inline:{...}) holds a
# password, and is never copied; a commented-out line like that too.
_INLINE_SECRET_RE = re.compile(r"^[ \t#]*[a-z]*_sasl_password_maps[ \t]*=.*\b(?:static|inline):", re.M)


def holds_password(text):
    """Whether a main.cf text carries a password inline."""
    return bool(_INLINE_SECRET_RE.search(text))


def backup(config_dir, names, backup_dir, keep, now=None):
    """Copy ``names`` (main.cf, master.cf) of ``config_dir`` to ``backup_dir`` as NAME.<UTC time>
    (0600, the directory 0700) and keep only the newest ``keep`` copies of each name.

    A file that holds a password is not copied. Returns (paths written, names skipped).
    """
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + (".%06dZ" % int(((now or time.time()) % 1) * 1e6))
    written, skipped = [], []
    try:
        if not os.path.isdir(backup_dir):
            os.makedirs(backup_dir, 0o700)
        for name in names:
            source = os.path.join(config_dir, name)
            if not os.path.exists(source):
                continue
            text = _read_text(source)
            if holds_password(text):
                skipped.append(name)
                continue
            path = os.path.join(backup_dir, "%s.%s" % (name, stamp))
            secret_file.write(path, text.encode("utf-8", "surrogateescape"), 0o600, -1, -1)
            written.append(path)
            copies = sorted(
                entry
                for entry in os.listdir(backup_dir)
                if entry.startswith(name + ".")
                and re.fullmatch(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z", entry[len(name) + 1 :])
            )
            for old in copies[:-keep] if keep > 0 else copies:
                os.unlink(os.path.join(backup_dir, old))
    except (IOError, OSError) as exc:
        raise PostconfError("cannot keep a copy of the configuration in %s: %s" % (backup_dir, exc))
    return written, skipped


def _run(run_command, args):
    rc, out, err = run_command(args)
    if rc != 0:
        raise PostconfError("%s failed (rc=%s): %s" % (" ".join(args), rc, (err or out or "").strip()))
    return out or "", err or ""


SETTLE_SECONDS = 2


def settle(config_dir, now=None):
    """Date ``config_dir``/main.cf back ``SETTLE_SECONDS``, so that Postfix reads it at once.

    Only for a main.cf that is complete (postconf -e and -X rename a whole file over it); a
    main.cf that is missing is left to the reader that will say so."""
    then = (time.time() if now is None else now) - SETTLE_SECONDS
    try:
        os.utime(os.path.join(config_dir, MAIN_CF), (then, then))
    except OSError:
        pass


def _edit(run_command, args, config_dir):
    """Run a ``postconf -e`` or ``-X`` on ``config_dir``, then :func:`settle` its main.cf."""
    _run(run_command, args)
    settle(config_dir)


def apply(run_command, postconf, config_dir, parameters=None, absent=None, check_mode=False,
          master_cf_block=None, master_cf_marker=DEFAULT_MARKER, stage=False, postfix="postfix",
          log_command=None, backup_dir=None, backup_keep=5):  # fmt: skip
    """Bring main.cf (and, when ``master_cf_block`` is not None, the marked block of master.cf)
    in ``config_dir`` to the desired state; with ``stage``, check a staged copy first.

    ``run_command(args)`` runs a command without a shell and returns
    (rc, stdout, stderr), like AnsibleModule.run_command. Returns a dict with
    changed, changed_parameters, removed_parameters, master_cf_changed, staged, values, diff,
    warnings. Raises PostconfError. ``log_command`` (journalctl with its filters, or None) reads
    why Postfix refused a staged copy when it said nothing on stderr. With ``backup_dir``, the live
    main.cf and master.cf that are about to change are first copied there (see :func:`backup`),
    the newest ``backup_keep`` kept; the result lists them in ``backups``.
    """
    desired, removals_wanted = prepare(parameters, absent)
    names = list(desired) + removals_wanted
    current = {}
    unknown = []
    explicit = {}
    if names:
        out, dummy = _run(run_command, build_show_command(postconf, config_dir, names))
        current = parse_show_output(out)
        unknown = [name for name in names if name not in current]
        main_cf = os.path.join(config_dir, MAIN_CF)
        try:
            with open(main_cf, "r") as handle:
                explicit = parse_main_cf(handle.read())
        except (IOError, OSError) as exc:
            raise PostconfError("cannot read %s: %s" % (main_cf, exc))
    for name in unknown:
        if name in explicit:
            current[name] = explicit[name]

    changes, removals = compute_changes(desired, current, explicit, removals_wanted)
    warnings = [
        "postconf does not know the parameter '%s' (typo, or a parameter of a newer Postfix?)" % name
        for name in unknown
        if name in desired
    ]

    master_path = os.path.join(config_dir, MASTER_CF)
    master_before = master_after = None
    if master_cf_block is not None:
        master_before = _read_text(master_path) if os.path.exists(master_path) else ""
        master_after = set_block(master_before, master_cf_block, master_cf_marker)
    master_changed = master_before != master_after

    staged = False
    backups = []
    if not check_mode and (changes or removals or master_changed):
        if stage:
            staged_check(
                run_command,
                postconf,
                postfix,
                config_dir,
                changes,
                removals,
                master_after if master_changed else None,
                log_command,
            )
            staged = True
        if backup_dir:
            backups, skipped = backup(
                config_dir,
                ([MAIN_CF] if changes or removals else []) + ([MASTER_CF] if master_changed else []),
                backup_dir,
                backup_keep,
            )
            warnings.extend("%s holds a password (inline SASL password map): no copy kept" % name for name in skipped)
        if master_changed:
            _replace(master_path, master_after)
        if changes:
            _edit(run_command, build_edit_command(postconf, config_dir, changes), config_dir)
        if removals:
            _edit(run_command, build_remove_command(postconf, config_dir, removals), config_dir)

    diff = build_diff(changes, removals, current, config_dir)
    if master_cf_block is not None:  # a list of two diffs: main.cf, then master.cf
        diff = [
            diff,
            {"before": master_before, "after": master_after, "before_header": master_path, "after_header": master_path},
        ]
    return {
        "changed": bool(changes or removals or master_changed),
        "changed_parameters": [name for name, dummy in changes],
        "removed_parameters": removals,
        "master_cf_changed": master_changed,
        "staged": staged,
        "backups": backups,
        "values": dict(desired),
        "diff": diff,
        "warnings": warnings,
    }
