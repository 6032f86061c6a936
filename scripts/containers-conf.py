"""Ensure podman's containers.conf has the two settings containers need on these machines.

[containers] default_ulimits = []   (setting rlimits is not permitted here)
[engine]     runtime = "runc"       (crun fails on this kernel's hybrid cgroups)

Other settings already in the file are kept. Prints whether the file changed.
"""

import json
import os
import sys
import tomllib

WANT = {"containers": {"default_ulimits": []}, "engine": {"runtime": "runc"}}


def dump(doc):
    lines = []
    for table, values in doc.items():
        if not isinstance(values, dict):
            continue
        lines.append("[%s]" % table)
        for key, value in values.items():
            lines.append("%s = %s" % (key, json.dumps(value)))
        lines.append("")
    top = ["%s = %s" % (k, json.dumps(v)) for k, v in doc.items() if not isinstance(v, dict)]
    return "\n".join(top + ([""] if top else []) + lines)


def main(path):
    doc = {}
    if os.path.exists(path):
        with open(path, "rb") as handle:
            doc = tomllib.load(handle)
    changed = False
    for table, values in WANT.items():
        section = doc.setdefault(table, {})
        for key, value in values.items():
            if section.get(key) != value:
                section[key] = value
                changed = True
    if changed:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dump(doc))
    print("%s %s" % (path, "updated" if changed else "already set"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/etc/containers/containers.conf")
