#!/bin/bash
# A subscriber that needs no plugin runner: it subscribes to the spool by creating its own
# folder, then handles every event file that appears in its new/ (here: prints its type and
# task), deleting each file once handled.
# usage: external-subscriber.sh HOME NAME PATTERN...
set -euo pipefail
home=$1 name=$2; shift 2
folder="$home/spool/subscribers/$name"

mkdir -p "$folder/new" "$folder/cur" "$folder/failed"
printf '%s\n' "$@" > "$folder/patterns.tmp" && mv "$folder/patterns.tmp" "$folder/patterns"
cd "$folder"

while true; do
    for file in new/*.json; do
        [ -e "$file" ] || continue
        mv "$file" cur/ || continue                # claim it
        jq -r '"\(.eventType) \(.taskId // "-")"' "cur/${file#new/}"
        rm "cur/${file#new/}"
    done
    # Sleep until something is linked into new/; the timeout catches a file that arrived
    # while the loop above was busy.
    inotifywait -qq -t "${RESCAN_S:-10}" -e create -e moved_to new/ || true
done
