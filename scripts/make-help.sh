#!/usr/bin/env bash
# make help: every target of the Makefile with its ## comment, in the Makefile's order.
set -euo pipefail
cd "$(dirname "$0")/.."
awk -F':' '/^[a-zA-Z0-9_.-]+:/ && !/^\.PHONY/ {
  target = $1; comment = ""
  if (index($0, "## ")) comment = substr($0, index($0, "## ") + 3)
  printf "  %-16s %s\n", target, comment
}' Makefile
