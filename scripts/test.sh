#!/usr/bin/env bash
# The README's test command: builds (or reuses) the host, then runs the four tiers, each in its own process
# (the host tier must never have the checkout root on sys.path, the unit tier must never import ComfyUI;
# -P keeps the working directory, the checkout, off sys.path).
# Extra arguments go to every pytest run, e.g. `scripts/test.sh -x -k film`. TIERS="unit host" limits the tiers.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$here/scripts/install.sh")"
cd "$here"
status=0
for tier in ${TIERS:-unit host server browser}; do
  echo "== $tier tier"
  # pytest exits 5 when it collects nothing: that is a failure here, not a pass.
  "$TEMPO_PYTHON" -P -m pytest -c tests/pytest.ini -q "tests/$tier" "$@" || status=1
done
exit $status
