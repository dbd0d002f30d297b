#!/usr/bin/env bash
# make bench-fim: skimwatch's file integrity monitor against AIDE, a bare
# parallel SHA-256 walker, `cat` (the read bound) and, when the scan command
# exists, YARA. On two web roots, each in one run so the ratios are
# comparable even on a noisy shared machine:
#   generated  internal/fim/gentree, seed 1 (EC-CUBE/Magento proportions)
#   real       Debian's wordpress package (/usr/share/wordpress) with a real
#              `npm ci` tree of a shop theme's front-end dependencies
#              (scripts/bench-fim-npm/package.json and its lock) under
#              wp-content/themes/shop: many more small files and folders.
#              Built here, never committed; needs `apt-get install wordpress`
#              and npm with access to the registry.
#
#   scripts/bench-fim.sh            warm page cache (the figures we record)
#   BENCH_FIM_COLD=1 scripts/...    also cold cache, when drop_caches works
#   BENCH_FIM_RUNS=10 ...           hyperfine runs per command (default 5)
#   BENCH_FIM_DIR=/path ...         work folder (default /tmp/skimwatch-bench-fim)
#   BENCH_FIM_SCAN=0 ...            leave out the scan vs yara comparison
#   BENCH_FIM_TREES="generated"     which trees (default "generated real")
#
# Prints a markdown summary; docs/PERFORMANCE.md ("File integrity") keeps the
# latest one.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
runs=${BENCH_FIM_RUNS:-5}
work=${BENCH_FIM_DIR:-/tmp/skimwatch-bench-fim}
tree=$work/tree
realtree=$work/realtree
trees=${BENCH_FIM_TREES:-generated real}
bin=$PWD/bin/skimwatch
mkdir -p "$work"

for c in aide hyperfine; do
  command -v "$c" >/dev/null || { echo "bench-fim: $c is missing (scripts/deps.sh bench installs it)" >&2; exit 1; }
done
[ -x "$bin" ] || $GO build -o "$bin" ./cmd/skimwatch
$GO build -o "$work/gentree" ./internal/fim/gentree
$GO build -o "$work/barewalk" ./internal/fim/barewalk

# The generator is deterministic; regenerate only when its parameters change.
params="files=25000 mb=300 seed=1"
if [ "$(cat "$work/tree.params" 2>/dev/null)" != "$params" ]; then
  rm -rf "$tree"
  "$work/gentree" -out "$tree" -files 25000 -mb 300 -seed 1
  echo "$params" > "$work/tree.params"
fi

# The real tree is rebuilt only when the wordpress package or the npm lock
# changes.
wpver=
if [[ " $trees " == *" real "* ]]; then
  wpver=$(dpkg-query -W -f='${Version}' wordpress 2>/dev/null || true)
  [ -n "$wpver" ] && [ -d /usr/share/wordpress ] || { echo "bench-fim: the real tree needs Debian's wordpress package (apt-get install -y wordpress), or set BENCH_FIM_TREES=generated" >&2; exit 1; }
  command -v npm >/dev/null || { echo "bench-fim: the real tree needs npm" >&2; exit 1; }
  stamp="wordpress=$wpver lock=$(sha256sum scripts/bench-fim-npm/package-lock.json | cut -c1-16)"
  if [ "$(cat "$work/realtree.params" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$realtree" "$work/npm"
    mkdir -p "$realtree/wp-content/themes/shop" "$work/npm"
    cp -a /usr/share/wordpress/. "$realtree/"
    cp scripts/bench-fim-npm/package.json scripts/bench-fim-npm/package-lock.json "$work/npm/"
    (cd "$work/npm" && npm ci --ignore-scripts --no-audit --no-fund >&2)
    cp -a "$work/npm/." "$realtree/wp-content/themes/shop/"
    echo "$stamp" > "$work/realtree.params"
  fi
fi

tree_dir() { if [ "$1" = real ]; then echo "$realtree"; else echo "$tree"; fi; }

# prepare NAME: AIDE with the same attributes skimwatch records, the same
# exclusions, and two workers; both tools' baselines for verify.
prepare() {
  local name=$1 dir
  dir=$(tree_dir "$1")
  cat > "$work/aide-$name.conf" <<EOF
database_in=file:$work/aide-$name.db
database_out=file:$work/aide-$name.db.new
gzip_dbout=no
num_workers=2
report_url=stdout
SW = sha256+p+u+g+s+m+c+i
$dir SW
!$dir/var/cache
!$dir/var/log
EOF
  aide --init -c "$work/aide-$name.conf" >/dev/null
  mv "$work/aide-$name.db.new" "$work/aide-$name.db"
  "$bin" fim baseline "$dir" --out "$work/base-$name.fim" --workers 2 >/dev/null
}
for t in $trees; do prepare "$t"; done

# A rule file for the scan comparison: a plausible skimmer signature.
cat > "$work/skimmer.yar" <<'EOF'
rule skimmer_exfil
{
    strings:
        $a = "atob(" ascii
        $b = "onepage" ascii nocase
        $c = /new Image\(\)\.src\s*=/ ascii
    condition:
        any of them
}
EOF

# The scan comparison runs only when the scan command exists and works on a
# small folder within 20 s (exit 0 clean or 1 findings).
scan_ok= scan_why="scan not available"
if [ "${BENCH_FIM_SCAN:-1}" = 0 ]; then
  scan_why="BENCH_FIM_SCAN=0"
elif "$bin" scan --help 2>/dev/null | grep -q -- --no-default-rules; then
  mkdir -p "$work/scan-smoke" && echo 'var x = atob("eA==");' > "$work/scan-smoke/a.js"
  rc=0; timeout 20 "$bin" scan --no-default-rules --rules "$work/skimmer.yar" "$work/scan-smoke" >/dev/null 2>"$work/scan-smoke.err" || rc=$?
  if [ "$rc" -le 1 ]; then scan_ok=1; else scan_why="scan not usable (exit $rc: $(head -c 200 "$work/scan-smoke.err" | tr '\n|' '  '))"; fi
fi

cold_ok=0
if [ "${BENCH_FIM_COLD:-0}" = 1 ] && sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
  cold_ok=1
fi

hf() { # hf NAME CSV [hyperfine args...]
  local name=$1 csv=$2; shift 2
  echo "== $name" >&2
  hyperfine --style basic --warmup 1 --runs "$runs" --export-csv "$csv" "$@" >&2
}

# mean NAME CSV -> median wall seconds; cpu NAME CSV -> mean user+system
# seconds (steadier than wall time when other jobs share the machine).
mean() { awk -F, -v n="$1" 'NR>1 && $1==n {printf "%.3f", $4}' "$2"; }
cpu() { awk -F, -v n="$1" 'NR>1 && $1==n {printf "%.3f", $5+$6}' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# row TASK CSV_A NAME_A CSV_B NAME_B HOW AIM: HOW "faster" = b/a, "of" = a/b
row() {
  local wa wb ca cb
  wa=$(mean "$3" "$2"); wb=$(mean "$5" "$4"); ca=$(cpu "$3" "$2"); cb=$(cpu "$5" "$4")
  if [ "$6" = faster ]; then
    echo "| $1 | $wa / $ca | $wb / $cb | $(ratio "$wb" "$wa")x / $(ratio "$cb" "$ca")x faster | $7 |"
  else
    echo "| $1 | $wa / $ca | $wb / $cb | $(ratio "$wa" "$wb")x / $(ratio "$ca" "$cb")x its time | $7 |"
  fi
}

run_set() { # run_set TREE LABEL [extra hyperfine args]
  local name=$1 label=$2; shift 2
  local dir; dir=$(tree_dir "$name")
  local b=$work/baseline-$name-$label.csv v=$work/verify-$name-$label.csv s=$work/scan-$name-$label.csv
  local nfiles mbytes
  nfiles=$(find "$dir" -type f -not -path "$dir/var/cache/*" -not -path "$dir/var/log/*" | wc -l)
  mbytes=$(du -sm --apparent-size "$dir" | cut -f1)
  hf "baseline ($name, $label)" "$b" "$@" \
    -n skimwatch "$bin fim baseline $dir --out $work/run.fim --workers 2" \
    -n aide "aide --init -c $work/aide-$name.conf" \
    -n barewalk "$work/barewalk -workers 2 $dir" \
    -n cat "cd $dir && find . -type f -print0 | xargs -0 cat > /dev/null"
  hf "verify, unchanged tree ($name, $label)" "$v" "$@" \
    -n skimwatch "$bin fim verify $dir --baseline $work/base-$name.fim" \
    -n skimwatch-full "$bin fim verify $dir --baseline $work/base-$name.fim --full --workers 2" \
    -n aide "aide --check -c $work/aide-$name.conf"
  echo
  if [ "$name" = real ]; then
    echo "### Real tree (wordpress $wpver + npm ci of scripts/bench-fim-npm), $label page cache"
  else
    echo "### Generated tree (internal/fim/gentree, seed 1), $label page cache"
  fi
  echo
  echo "$nfiles files, $mbytes MB apparent size."
  echo
  echo "Seconds as wall / CPU (user+system); ratios as wall / CPU."
  echo
  echo "| Task | skimwatch | other | ratio | aim |"
  echo "|---|---|---|---|---|"
  row "baseline vs \`aide --init\` (sha256+p+u+g+s+m+c+i, 2 workers)" "$b" skimwatch "$b" aide faster ">= 2x faster"
  row "baseline vs bare 2-worker SHA-256 walker" "$b" skimwatch "$b" barewalk of "<= 1.2x"
  row "baseline vs \`cat\` of every file (read bound)" "$b" skimwatch "$b" cat of "-"
  row "verify unchanged (stat cache) vs \`aide --check\`" "$v" skimwatch "$v" aide faster ">= 10x faster"
  row "verify --full vs \`aide --check\`" "$v" skimwatch-full "$v" aide faster "-"
  if [ "$name" != generated ]; then
    : # the scan comparison runs on the generated tree only
  elif [ -n "$scan_ok" ]; then
    # -i: both exit 1 when a rule matches. Scanning is slower than hashing,
    # so three runs are enough.
    runs=3 hf "scan ($label)" "$s" -i "$@" \
      -n skimwatch "$bin scan --no-default-rules --rules $work/skimmer.yar $dir" \
      -n yara "yara -p 2 -r $work/skimmer.yar $dir"
    row "scan vs \`yara -p 2 -r\` (one rule file)" "$s" skimwatch "$s" yara faster "> 1x faster"
  else
    echo "| scan vs \`yara -p 2 -r\` | skipped: $scan_why | | | |"
  fi
}

echo "## File integrity benchmark"
echo
echo "Trees: $trees; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
echo "hyperfine, $runs runs after 1 warm-up; median wall time, mean CPU time. Command: \`make bench-fim\`."
for t in $trees; do run_set "$t" warm; done
if [ "$cold_ok" = 1 ]; then
  for t in $trees; do run_set "$t" cold --prepare "sync; echo 3 > /proc/sys/vm/drop_caches"; done
elif [ "${BENCH_FIM_COLD:-0}" = 1 ]; then
  echo
  echo "(cold cache not measured: /proc/sys/vm/drop_caches is not writable here)"
fi
