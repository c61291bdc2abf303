#!/usr/bin/env bash
# The sha256 of every object a simulated day writes, for checking that a refactor changes no
# output byte: run it before and after, and diff. Fields that name a time or a commit are left
# out of the JSON records (manifest, _latest.json, _clustering.json); everything else is hashed
# as stored. Uses its own embedded Redis and S3 in a temporary folder, never .data/.
#   scripts/output-hashes.sh [DATE] [RIDES] > hashes.txt
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
date="${1:-2025-07-30}"
rides="${2:-3000}"
work="$(mktemp -d)"
export ETML_DATA_DIR="$work/data"
trap '"$root/bin/etml" embedded down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
./bin/etml demo --date "$date" --rides "$rides" >/dev/null 2>"$work/demo.log" || {
  cat "$work/demo.log" >&2
  exit 1
}
./bin/etml cluster --input packages/fixtures/packt/taxi-rides-20230524.json \
  --output "$work/packt.jsonl" 2>/dev/null
echo "$(sha256sum <"$work/packt.jsonl" | cut -d' ' -f1)  etml cluster of packt/taxi-rides-20230524.json"
cd "$ETML_DATA_DIR/s3/etml"
find . -name '*._S3rver_object' | sort | while read -r file; do
  key="${file#./}"
  key="${key%._S3rver_object}"
  case "$key" in
    *.json)
      node -e '
        const strip = o => {
          if (o && typeof o === "object")
            for (const k of Object.keys(o)) /_at$|commit/.test(k) ? delete o[k] : strip(o[k]);
        };
        const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        strip(j);
        const hash = require("crypto").createHash("sha256").update(JSON.stringify(j)).digest("hex");
        console.log(`${hash}  ${process.argv[2]} (times and commit left out)`);
      ' "$file" "$key"
      ;;
    *) echo "$(sha256sum <"$file" | cut -d' ' -f1)  $key" ;;
  esac
done
