#!/usr/bin/env bash
# Are the declared lower bounds true? Installs every runtime dependency of pyproject.toml at
# exactly its lower bound in a scratch venv (the dev tools resolve freely around them), then
# runs the fast tests there.
#   bash bench/check_minimums.sh            # scratch venv under /tmp, removed afterwards
#   KEEP=1 bash bench/check_minimums.sh     # keep it (its path is printed)
# Network- and CPU-heavy (a full install); run it when a bound changes, not in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SCRATCH=$(mktemp -d /tmp/minimums.XXXXXX)
chmod 755 "$SCRATCH"  # tests run a command as the user nobody with this venv
[ -n "${KEEP:-}" ] || trap 'rm -rf "$SCRATCH"' EXIT

"$PYTHON" - > "$SCRATCH/minimums.txt" <<'PY'
import re
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for spec in project["dependencies"]:
    match = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(?:==|>=)\s*([^,;\s]+)", spec)
    if match:
        print(f"{match[1]}=={match[2]}")
PY
echo "Untere Grenzen:"; sed 's/^/  /' "$SCRATCH/minimums.txt"

"$PYTHON" -m venv "$SCRATCH/venv"
PY="$SCRATCH/venv/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet --constraint "$SCRATCH/minimums.txt" -e '.[dev]'
echo "Installiert:"; "$PY" -m pip freeze | grep -i -f <(cut -d= -f1 "$SCRATCH/minimums.txt" | sed 's/^/^/;s/$/==/') | sed 's/^/  /'

# The fast tests: everything but the real-model and browser tests.
"$PY" -m pytest -q -p no:cacheprovider -m "not slow and not browser" "$@"
echo "Ergebnis: Die unteren Grenzen bestehen die schnellen Tests (venv: $SCRATCH)."
