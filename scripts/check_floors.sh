#!/usr/bin/env bash
# Install exactly the lowest versions pyproject.toml allows (each `pkg>=X` as `pkg==X`) in a
# throwaway venv and run a fast subset of the tests with them: the floors must really work.
#   scripts/check_floors.sh [pytest args]     (default: the subset below; `make floors`)
# The database tests use KUKAN_DATABASE_URL, else the checkout's private cluster
# (scripts/devdb.sh start). FLOORS_VENV=<dir> keeps the venv (default: a temporary folder,
# deleted afterwards). Needs network access to the package index.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
PYTHON=${PYTHON:-python3}
DEFAULT_TESTS=(tests/spatialid spatialid tests/test_import_rules.py tests/test_readme.py
  tests/platform/test_vehicles.py tests/platform/test_health.py)

if [ -n "${FLOORS_VENV:-}" ]; then
  VENV=$FLOORS_VENV
else
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  VENV=$TMP/venv
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"

# The requirements (runtime, plus the test tools the subset imports) and their floors.
"$VENV/bin/python" - "$VENV" <<'EOF'
import re
import sys
import tomllib
from pathlib import Path

venv = Path(sys.argv[1])
project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
test_tools = {"pytest", "hypothesis", "httpx"}
reqs = list(project["dependencies"]) + [
    r for r in project["optional-dependencies"]["dev"]
    if re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() in test_tools
]
pins = []
for req in reqs:
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)", req)
    if not m:
        sys.exit(f"check_floors: {req!r} has no plain '>=' floor")
    pins.append(f"{m.group(1)}=={m.group(3)}")
(venv / "requirements.txt").write_text("\n".join(reqs) + "\n")
(venv / "floors.txt").write_text("\n".join(pins) + "\n")
EOF

echo "check_floors: installing the floors into $VENV:"
sed 's/^/  /' "$VENV/floors.txt"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  --constraint "$VENV/floors.txt" -r "$VENV/requirements.txt"
# What was installed really is each floor (a constraint cannot be silently widened).
"$VENV/bin/python" - "$VENV" <<'EOF'
import sys
from importlib.metadata import version
from pathlib import Path

bad = []
for pin in Path(sys.argv[1], "floors.txt").read_text().split():
    name, want = pin.split("==")
    got = version(name)
    if got.split("+")[0] not in {want, want + ".0", want + ".0.0"}:
        bad.append(f"{name}: wanted {want}, got {got}")
sys.exit("check_floors: " + "; ".join(bad) if bad else 0)
EOF

if [ -z "${KUKAN_DATABASE_URL:-}" ]; then
  scripts/devdb.sh start >/dev/null
  KUKAN_DATABASE_URL=$(scripts/devdb.sh url)
  export KUKAN_DATABASE_URL
fi
[ $# -gt 0 ] || set -- "${DEFAULT_TESTS[@]}"
echo "check_floors: running $* with the floors"
# The checkout's code on the path (not installed), no cache left behind.
PYTHONPATH="$ROOT" "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$@"
echo "check_floors: the floors of pyproject.toml pass"
