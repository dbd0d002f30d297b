#!/usr/bin/env bash
# make bench-fim: skimwatch's file integrity monitor against AIDE, a bare
# parallel SHA-256 walker, `cat` (the read bound) and, when the scan command
# exists, YARA. All on one generated web root, in one run, so the ratios are
# comparable even on a noisy shared machine.
#
#   scripts/bench-fim.sh            warm page cache (the figures we record)
#   BENCH_FIM_COLD=1 scripts/...    also cold cache, when drop_caches works
#   BENCH_FIM_RUNS=10 ...           hyperfine runs per command (default 5)
#   BENCH_FIM_DIR=/path ...         work folder (default /tmp/skimwatch-bench-fim)
#   BENCH_FIM_SCAN=0 ...            leave out the scan vs yara comparison
#
# Prints a markdown summary; docs/PERFORMANCE.md ("File integrity") keeps the
# latest one.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
runs=${BENCH_FIM_RUNS:-5}
work=${BENCH_FIM_DIR:-/tmp/skimwatch-bench-fim}
tree=$work/tree
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
nfiles=$(find "$tree" -type f -not -path "$tree/var/cache/*" -not -path "$tree/var/log/*" | wc -l)
mbytes=$(du -sm --apparent-size "$tree" | cut -f1)

# AIDE with the same attributes skimwatch records, the same exclusions, and
# two workers.
cat > "$work/aide.conf" <<EOF
database_in=file:$work/aide.db
database_out=file:$work/aide.db.new
gzip_dbout=no
num_workers=2
report_url=stdout
SW = sha256+p+u+g+s+m+c+i
$tree SW
!$tree/var/cache
!$tree/var/log
EOF
aide --init -c "$work/aide.conf" >/dev/null
mv "$work/aide.db.new" "$work/aide.db"
"$bin" fim baseline "$tree" --out "$work/base.fim" --workers 2 >/dev/null

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

run_set() { # run_set LABEL [extra hyperfine args]
  local label=$1; shift
  local b=$work/baseline-$label.csv v=$work/verify-$label.csv s=$work/scan-$label.csv
  hf "baseline ($label)" "$b" "$@" \
    -n skimwatch "$bin fim baseline $tree --out $work/run.fim --workers 2" \
    -n aide "aide --init -c $work/aide.conf" \
    -n barewalk "$work/barewalk -workers 2 $tree" \
    -n cat "cd $tree && find . -type f -print0 | xargs -0 cat > /dev/null"
  hf "verify, unchanged tree ($label)" "$v" "$@" \
    -n skimwatch "$bin fim verify $tree --baseline $work/base.fim" \
    -n skimwatch-full "$bin fim verify $tree --baseline $work/base.fim --full --workers 2" \
    -n aide "aide --check -c $work/aide.conf"
  echo
  echo "### $label page cache"
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
  if [ -n "$scan_ok" ]; then
    # -i: both exit 1 when a rule matches. Scanning is slower than hashing,
    # so three runs are enough.
    runs=3 hf "scan ($label)" "$s" -i "$@" \
      -n skimwatch "$bin scan --no-default-rules --rules $work/skimmer.yar $tree" \
      -n yara "yara -p 2 -r $work/skimmer.yar $tree"
    row "scan vs \`yara -p 2 -r\` (one rule file)" "$s" skimwatch "$s" yara faster "> 1x faster"
  else
    echo "| scan vs \`yara -p 2 -r\` | skipped: $scan_why | | | |"
  fi
}

echo "## File integrity benchmark"
echo
echo "Tree: $nfiles files, $mbytes MB apparent size (generated by internal/fim/gentree, seed 1), $(nproc) CPUs;"
echo "hyperfine, $runs runs after 1 warm-up; median wall time, mean CPU time. Command: \`make bench-fim\`."
run_set warm
if [ "$cold_ok" = 1 ]; then
  run_set cold --prepare "sync; echo 3 > /proc/sys/vm/drop_caches"
elif [ "${BENCH_FIM_COLD:-0}" = 1 ]; then
  echo
  echo "(cold cache not measured: /proc/sys/vm/drop_caches is not writable here)"
fi
