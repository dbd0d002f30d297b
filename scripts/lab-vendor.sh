#!/usr/bin/env bash
# Refreshes the third-party libraries of the lab's benign checkout
# (internal/lab/benign.go) from npm, at the exact versions pinned in
# internal/lab/npm/package-lock.json.
#
# The copies in internal/lab/assets/vendor/ are committed, so tests and CI
# never need npm: they are fixtures served as the real libraries, one
# directory per package with its LICENSE and a VERSION line. Only browser
# builds (minified where the package ships one) are kept.
#
#   scripts/lab-vendor.sh            npm ci, then copy
#
# To move a library to a new version, edit internal/lab/npm/package.json,
# run `npm install --package-lock-only --ignore-scripts` there, then this.
set -euo pipefail
cd "$(dirname "$0")/.."
npmdir=internal/lab/npm
out=internal/lab/assets/vendor
work=$(mktemp -d /tmp/skimwatch-lab-vendor.XXXXXX)
trap 'rm -rf "$work"' EXIT

cp "$npmdir/package.json" "$npmdir/package-lock.json" "$work/"
# --ignore-scripts: nothing from the registry runs on this machine.
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
mods=$work/node_modules

# package  files to copy (relative to the package)
libs=(
  "imask      dist/imask.min.js"
  "cleave.js  dist/cleave.min.js"
  "jsencrypt  bin/jsencrypt.min.js"
  "crypto-js  core.js sha256.js"
  "vue        dist/vue.global.prod.js"
  "jquery     dist/jquery.min.js"
  "yubinbango-core2 yubinbango-core.js"
)

rm -rf "$out"
for line in "${libs[@]}"; do
  read -r pkg files <<<"$line"
  dst=$out/$pkg
  mkdir -p "$dst"
  for f in $files; do
    cp "$mods/$pkg/$f" "$dst/$(basename "$f")"
  done
  version=$(node -p "require('$mods/$pkg/package.json').version")
  license=$(node -p "const p=require('$mods/$pkg/package.json'); p.license || (p.licenses||[]).map(l=>l.type).join(' OR ')")
  echo "$pkg $version $license (npm, $(basename "$npmdir")/package-lock.json)" >"$dst/VERSION"
  lic=$(find "$mods/$pkg" -maxdepth 1 -iname 'licen[cs]e*' | head -n1)
  if [ -n "$lic" ]; then
    cp "$lic" "$dst/LICENSE"
  else
    # The package ships no license file; its package.json names the licence.
    echo "$pkg $version is published on npm under the $license licence (package.json \"license\"); the package ships no license file." >"$dst/LICENSE"
  fi
done
du -sh "$out"
