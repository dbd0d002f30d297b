#!/usr/bin/env bash
# Installs what skimwatch's demo and tests need, when it is missing.
#   scripts/deps.sh demo   -> chromium
#   scripts/deps.sh test   -> chromium, postgresql, yara, mariadb-server, wordpress
#   scripts/deps.sh bench  -> the test set plus aide and hyperfine
# As root it uses apt-get; otherwise it prints one sentence saying what to install.
set -eu
set_name=${1:-test}
need_cmds=()
need_pkgs=()
want() { # want COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || { need_cmds+=("$1"); need_pkgs+=("$2"); }
}
# Debian's own Go is older than this module needs, so Go is never apt-installed.
if ! command -v go >/dev/null 2>&1; then
  echo "skimwatch: please install Go 1.26 or later (https://go.dev/dl/) and put it in PATH, then run this again." >&2
  exit 1
fi
want chromium chromium
# Incident documents are rendered to PDF in Japanese: without a CJK font Chromium prints tofu.
fc-list :lang=ja 2>/dev/null | grep -q . || { need_cmds+=(a-japanese-font); need_pkgs+=(fonts-noto-cjk); }
if [ "$set_name" != demo ]; then
  want pdftotext poppler-utils # the document tests read the text back out of the PDFs
  want yara yara
  [ -x "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1)" ] || { need_cmds+=(postgres); need_pkgs+=(postgresql); }
  # MariaDB: the scan tests start a throwaway server for `scan --db mysql://`.
  [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || { need_cmds+=(mariadbd); need_pkgs+=(mariadb-server); }
  # A real PHP tree: the bundled rules' false-positive test, the audit's real-tree test and make bench-fim.
  [ -d /usr/share/wordpress ] || { need_cmds+=(wordpress); need_pkgs+=(wordpress); }
fi
if [ "$set_name" = bench ]; then
  want aide aide
  want hyperfine hyperfine
  want npm npm
fi
[ ${#need_pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "skimwatch: installing ${need_pkgs[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  exit 0
fi
echo "skimwatch: please install the Debian packages ${need_pkgs[*]} (for example: sudo apt-get install ${need_pkgs[*]}), then run this again." >&2
exit 1
