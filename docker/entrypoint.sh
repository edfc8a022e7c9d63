#!/bin/sh
# Apply migrations, load the demo city into an empty database, then run the command (the API).
set -e
kukan db upgrade
if [ "${KUKAN_LOAD_DEMO:-1}" = "1" ]; then kukan demo load --if-empty; fi
exec "$@"
