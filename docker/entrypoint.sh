#!/bin/sh
# Apply migrations, load the demo city into an empty database, then run the command (the API).
set -e
kukan db upgrade
# The demo extract is copied to /app/data by docker/Dockerfile (the installed package's
# default path points into site-packages); its tokens go to KUKAN_DEMO_KEYS_FILE (a volume).
if [ "${KUKAN_LOAD_DEMO:-1}" = "1" ]; then
  kukan demo load --if-empty --osm /app/data/helsinki.osm.pbf
fi
exec "$@"
