#!/usr/bin/env bash
# `make bench`: moontls next to OpenSSL in the same run, as CPU per operation.
#
#   bash spec/bench/bench.sh [BUILD_DIR]     (BENCH_TIME=seconds per turn, default 4)
#
# 1. server handshakes: bench_server (C, no Lua), `openssl s_server` and, when it exists,
#    the Lua CLI `scripts/moontls server`, all driven by the same `openssl s_time -new
#    -www /bench.txt` client, taking turns; server CPU = utime+stime delta from
#    /proc/PID/stat / handshakes the client completed.
# 2. client handshakes: bench_client vs `openssl s_time` itself, against one s_server;
#    CPU = getrusage of bench_client / bash `time` of s_time (user+sys).
# 3. bulk: CPU per MB through the engine vs the raw AEAD on the same records in the same
#    process, per direction (bench_engine bulk: seal = mt_conn_write + output; open = the
#    zero-copy receive, and the plain mt_conn_feed + mt_conn_read next to it), the minimum
#    over BENCH_BULK_REPS interleaved rounds of BENCH_BULK_MB each; with valgrind, the
#    same five as callgrind instructions per MB (bench_engine bulk-ir); and seal + open
#    next to `openssl speed -evp`.
# 4. idle memory per server connection (bench_engine idle).
# 5. crypto ceiling per handshake: primitives counted during a handshake x their
#    bench_crypto cost (bench_engine ceiling).
# 6. Lua hooks (issue 4): in-memory handshakes through tls.pair/tls.pump with no hooks
#    (a) and with a no-op hook on every point, both roles (b) (spec/bench/hooks.lua, CPU
#    from os.clock), next to the plain C pair in the same configuration (c) (bench_engine
#    pair) and the CPU inside its crypto calls. With valgrind (BENCH_CALLGRIND=0 skips):
#    the same three as callgrind instruction counts per handshake (difference of two
#    runs with different counts, so start-up cancels), and the crypto-only count
#    (collection toggled around the outermost crypto calls, BENCH_CG_CRYPTO=1).
# A benchmark, not a test: it prints, it asserts nothing about speed. Every process it
# starts is killed on exit; network is 127.0.0.1 only.
set -u
BUILD=${1:-build}
T=${BENCH_TIME:-4}
ROUNDS=${BENCH_ROUNDS:-2}
IDLE_N=${BENCH_IDLE_N:-1000}
HOOK_REPS=${BENCH_HOOK_REPS:-60}
CALLGRIND=${BENCH_CALLGRIND:-1}
BULK_MB=${BENCH_BULK_MB:-16}
BULK_REPS=${BENCH_BULK_REPS:-25}
B=$BUILD/bench
PKI=spec/fixtures/pki
ROOT=$(pwd)
CLK_TCK=$(getconf CLK_TCK)
SUITE=TLS_AES_128_GCM_SHA256

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in bench_crypto bench_server bench_client bench_engine; do
  [ -x "$B/$f" ] || { echo "bench.sh: $B/$f missing (make bench builds it)" >&2; exit 1; }
done
printf 'moontls bench page\n' >"$tmp/bench.txt" # what both servers answer to GET /bench.txt

log() { echo "bench: $*" >&2; }

# A free port in 20000-40000 (bounded tries).
free_port() {
  local p i
  for i in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# Wait until something listens on port $1 (bounded: 10 s), and PID $2 is alive.
wait_listen() {
  local i
  for i in $(seq 100); do
    kill -0 "$2" 2>/dev/null || return 1
    ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# utime+stime of PID in seconds.
cpu_of() {
  awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# Start a server in the background in $tmp (for -WWW / --docroot): sets SPID.
start_server() { # name port cmd...
  local name=$1 port=$2
  shift 2
  (cd "$tmp" && exec "$@") >"$tmp/$name.log" 2>&1 &
  SPID=$!
  pids+=("$SPID")
  if ! wait_listen "$port" "$SPID"; then
    log "$name did not start: $(tail -3 "$tmp/$name.log")"
    return 1
  fi
}

s_time() { # port seconds [extra args]
  local port=$1 secs=$2
  shift 2
  timeout $((secs + 20)) openssl s_time -connect "127.0.0.1:$port" -new -time "$secs" -tls1_3 \
    -ciphersuites "$SUITE" -CAfile "$ROOT/$PKI/ca-bundle.pem" -verify 4 "$@" 2>&1
}
conns_of() { sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s;.*/\1/p' | head -1; }

declare -A R # results: key -> value

# ---------------------------------------------------------------- 5: crypto + ceiling
log "crypto primitives (bench_crypto, ~30 s)"
"$B/bench_crypto" 0.3 >"$tmp/crypto.txt" || { log "bench_crypto failed"; exit 1; }
cost() { awk -v n="$1" '$1==n {print $2}' "$tmp/crypto.txt"; }
log "crypto ceiling per handshake (bench_engine ceiling)"
"$B/bench_engine" ceiling "$tmp/crypto.txt" 30 >"$tmp/ceiling.txt" || exit 1
while read -r _ side cert ceil _ inmem _ inhs detail; do
  R[ceil_${side}_$cert]=$ceil
  R[inmem_${side}_$cert]=$inmem
  R[inhs_${side}_$cert]=$inhs
  R[detail_${side}_$cert]=$detail
done <"$tmp/ceiling.txt"

# ---------------------------------------------------------------- 1: server handshakes
lua_cli=0
if [ -x scripts/moontls ] && [ -f "$BUILD/moontls/core.so" ] &&
  MOONTLS_BUILD=$BUILD scripts/moontls server --help 2>/dev/null | grep -q -- '--www'; then
  lua_cli=1
fi
for cert in p256 rsa; do
  stem=leaf-$cert
  pm=$(free_port) && po=$(free_port) && pl=$(free_port) || { log "no free port"; exit 1; }
  start_server "moontls-$cert" "$pm" "$ROOT/$B/bench_server" --cert "$ROOT/$PKI/$stem.chain.pem" \
    --key "$ROOT/$PKI/$stem.key" --port "$pm" --group x25519 --suite "$SUITE" \
    --max-seconds 900 || exit 1
  mpid=$SPID
  start_server "openssl-$cert" "$po" openssl s_server -accept "127.0.0.1:$po" -tls1_3 -WWW \
    -quiet -naccept 100000 -num_tickets 0 -groups X25519 -ciphersuites "$SUITE" \
    -cert "$ROOT/$PKI/$stem.pem" -key "$ROOT/$PKI/$stem.key" -cert_chain "$ROOT/$PKI/int-ca.pem" ||
    exit 1
  opid=$SPID
  servers="moontls:$mpid:$pm openssl:$opid:$po"
  if [ $lua_cli = 1 ]; then
    if start_server "lua-$cert" "$pl" env MOONTLS_BUILD="$ROOT/$BUILD" "$ROOT/scripts/moontls" \
      server --quiet --www --docroot "$tmp" --host 127.0.0.1 --port "$pl" --groups x25519 \
      --ciphers "$SUITE" --cert "$ROOT/$PKI/$stem.chain.pem" --key "$ROOT/$PKI/$stem.key"; then
      servers="$servers lua:$SPID:$pl"
    fi
  fi
  for who in moontls openssl lua; do R[srv_cpu_${who}_$cert]=0; R[srv_n_${who}_$cert]=0; done
  for round in $(seq "$ROUNDS"); do
    for s in $servers; do
      IFS=: read -r who pid port <<<"$s"
      log "server $cert round $round: $who (s_time ${T}s)"
      c0=$(cpu_of "$pid")
      out=$(s_time "$port" "$T" -www /bench.txt)
      c1=$(cpu_of "$pid")
      n=$(conns_of <<<"$out")
      [ -n "$n" ] || { log "s_time against $who gave no count: $(tail -2 <<<"$out")"; n=0; }
      R[srv_cpu_${who}_$cert]=$(awk -v a="${R[srv_cpu_${who}_$cert]}" -v d="$c1" -v c="$c0" 'BEGIN{print a+d-c}')
      R[srv_n_${who}_$cert]=$((R[srv_n_${who}_$cert] + n))
    done
  done
  for s in $servers; do
    IFS=: read -r _ pid _ <<<"$s"
    kill "$pid" 2>/dev/null
  done
done

# ---------------------------------------------------------------- 2: client handshakes
for cert in p256 rsa; do
  stem=leaf-$cert
  po=$(free_port) || exit 1
  start_server "openssl-c-$cert" "$po" openssl s_server -accept "127.0.0.1:$po" -tls1_3 -WWW \
    -quiet -naccept 100000 -num_tickets 0 -groups X25519 -ciphersuites "$SUITE" \
    -cert "$ROOT/$PKI/$stem.pem" -key "$ROOT/$PKI/$stem.key" -cert_chain "$ROOT/$PKI/int-ca.pem" ||
    exit 1
  opid=$SPID
  for who in moontls openssl; do R[cli_cpu_${who}_$cert]=0; R[cli_n_${who}_$cert]=0; done
  for round in $(seq "$ROUNDS"); do
    log "client $cert round $round: bench_client (${T}s)"
    out=$(timeout $((T + 20)) "$B/bench_client" --port "$po" --ca "$PKI/ca-bundle.pem" \
      --name localhost --group x25519 --suite "$SUITE" --verify 1 --seconds "$T")
    read -r _ n _ cpu _ <<<"$out"
    R[cli_cpu_moontls_$cert]=$(awk -v a="${R[cli_cpu_moontls_$cert]}" -v b="${cpu:-0}" 'BEGIN{print a+b}')
    R[cli_n_moontls_$cert]=$((R[cli_n_moontls_$cert] + ${n:-0}))
    log "client $cert round $round: openssl s_time (${T}s)"
    TIMEFORMAT='%U %S'
    { time s_time "$po" "$T" >"$tmp/stime.out"; } 2>"$tmp/stime.time"
    n=$(conns_of <"$tmp/stime.out")
    cpu=$(awk '{print $1+$2}' "$tmp/stime.time")
    R[cli_cpu_openssl_$cert]=$(awk -v a="${R[cli_cpu_openssl_$cert]}" -v b="$cpu" 'BEGIN{print a+b}')
    R[cli_n_openssl_$cert]=$((R[cli_n_openssl_$cert] + ${n:-0}))
  done
  kill "$opid" 2>/dev/null
done

# ---------------------------------------------------------------- 3: bulk
# field FILE KEY [MARK]: the value after KEY in bench_engine's line: in its first part
# (before "median"), or after the token MARK.
field() {
  awk -v k="$2" -v m="${3:-}" '{ on = (m == "")
    for (i = 1; i < NF; i++) {
      if (!on && $i == m) { on = 1; continue }
      if (m == "" && $i == "median") exit
      if (on && $i == k) { print $(i + 1); exit }
    } }' "$1"
}
BULK_KEYS="raw_seal seal raw_open open open_plain"
for suite in aes-128-gcm chacha20-poly1305; do
  log "bulk $suite: $BULK_REPS rounds of ${BULK_MB} MB each way"
  "$B/bench_engine" bulk "$suite" "$BULK_MB" "$BULK_REPS" >"$tmp/bulk.txt" || exit 1
  for k in $BULK_KEYS engine raw; do
    R[bulk_${k}_$suite]=$(field "$tmp/bulk.txt" $k)
    R[bulk_med_${k}_$suite]=$(field "$tmp/bulk.txt" $k median)
  done
  for k in seal open open_plain; do
    R[bulk_rr_${k}_$suite]=$(field "$tmp/bulk.txt" $k round_ratio)
  done
  if [ "$CALLGRIND" != 0 ] && command -v valgrind >/dev/null; then
    log "bulk $suite under callgrind (2 MB)"
    rm -f "$tmp"/bulkcg.*
    valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$tmp/bulkcg" \
      "$B/bench_engine" bulk-ir "$suite" 2 >/dev/null 2>&1
    # One dump per measurement and round (a warm-up round first): the last of each name.
    for i in $(seq 1 20); do
      f=$tmp/bulkcg.$i
      [ -f "$f" ] || break
      k=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
      R[bulk_ir_${k}_$suite]=$(awk '/^(summary|totals):/ { printf "%.0f", $2 / 2; exit }' "$f")
    done
  fi
  # openssl speed: bytes/s for 16 KiB seals, in user CPU (speed divides by CPU time).
  bps=$(openssl speed -mr -seconds 1 -bytes 16384 -evp "$suite" 2>/dev/null |
    awk -F: '/^\+F:/ {print $4}')
  R[bulk_ossl_$suite]=$(awk -v b="$bps" 'BEGIN { if (b > 0) printf "%.1f", 2 * 1048576 / b * 1e6; else print "-" }')
  # bench_crypto's seal figure for the same bytes, x2 for seal + open.
  R[bulk_bc_$suite]=$(awk -v u="$(cost "$suite")" 'BEGIN { printf "%.1f", 2 * u * 64 }')
done

# ---------------------------------------------------------------- 4: idle memory
log "idle memory: $IDLE_N server connections"
"$B/bench_engine" idle "$IDLE_N" >"$tmp/idle.txt" || exit 1
read -r _ _ _ _ heap _ rss <"$tmp/idle.txt"
idle_detail=$(sed -n 's/^idle_detail //p' "$tmp/idle.txt")

# ---------------------------------------------------------------- 6: Lua hooks
export LUA_PATH="$ROOT/bindings/?.lua;$ROOT/bindings/?/init.lua;;"
export LUA_CPATH="$ROOT/$BUILD/?.so;;"
hooks_ok=0
if command -v lua5.4 >/dev/null && [ -f "$BUILD/moontls/core.so" ]; then
  log "Lua hooks: ${HOOK_REPS} x 7 in-memory handshakes per case (hooks.lua)"
  if lua5.4 spec/bench/hooks.lua "$HOOK_REPS" 7 >"$tmp/hooks.txt" 2>"$tmp/hooks.err"; then
    hooks_ok=1
    R[hk_a]=$(awk '$1=="hooks" && $2=="none" {print $4}' "$tmp/hooks.txt")
    R[hk_b]=$(awk '$1=="hooks" && $2=="noop" {print $4}' "$tmp/hooks.txt")
    R[hk_events]=$(awk '$1=="hooks" && $2=="noop" {print $8}' "$tmp/hooks.txt")
    R[hk_detail]=$(sed -n 's/^hooks_events //p' "$tmp/hooks.txt")
  else
    log "hooks.lua failed: $(tail -3 "$tmp/hooks.err")"
  fi
  log "C pair: bench_engine pair leaf-p256"
  "$B/bench_engine" pair leaf-p256 200 7 >"$tmp/pair.txt" || exit 1
  read -r _ _ _ c _ _ _ _ _ k _ <"$tmp/pair.txt"
  R[hk_c]=$c
  R[hk_crypto]=$k
  if [ "$hooks_ok" = 1 ] && [ "$CALLGRIND" != 0 ] && command -v valgrind >/dev/null; then
    log "Lua hooks under callgrind (~2 min)"
    ir() { # out-file cmd... -> total instructions
      valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
    }
    for cs in none noop; do
      i2=$(ir lua5.4 spec/bench/hooks.lua 2 --case $cs)
      i12=$(ir lua5.4 spec/bench/hooks.lua 12 --case $cs)
      R[ir_$cs]=$(( (i12 - i2) / 10 ))
    done
    i2=$(ir "$B/bench_engine" pair leaf-p256 2 1)   # 20 warm-up + 2 x reps handshakes
    i7=$(ir "$B/bench_engine" pair leaf-p256 7 1)
    R[ir_c]=$(( (i7 - i2) / 10 ))
    i2=$(BENCH_CG_CRYPTO=1 ir --collect-atstart=no "$B/bench_engine" pair leaf-p256 2 1)
    i7=$(BENCH_CG_CRYPTO=1 ir --collect-atstart=no "$B/bench_engine" pair leaf-p256 7 1)
    R[ir_crypto]=$(( (i7 - i2) / 10 ))
  fi
fi

# ---------------------------------------------------------------- table
us() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", c / n * 1e6; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }'; }
row() { printf '%-44s | %14s | %12s | %7s | %s\n' "$@"; }

echo
row "metric" "moontls" "openssl" "ratio" "target"
row "--------------------------------------------" "--------------" "------------" "-------" "------"
for cert in p256 rsa; do
  name=$([ $cert = p256 ] && echo "x25519+ECDSA-P256" || echo "x25519+RSA-2048")
  m=$(us "${R[srv_cpu_moontls_$cert]}" "${R[srv_n_moontls_$cert]}")
  o=$(us "${R[srv_cpu_openssl_$cert]}" "${R[srv_n_openssl_$cert]}")
  ceil=$(printf '%.0f' "${R[ceil_server_$cert]}")
  tgt=$(awk -v c="$ceil" 'BEGIN { printf "<= %.0f", c + 150 }')
  row "server us/handshake $name" "$m" "$o" "$(ratio "$m" "$o")" "$tgt (crypto+150)"
  if [ $lua_cli = 1 ] && [ "${R[srv_n_lua_$cert]:-0}" -gt 0 ]; then
    l=$(us "${R[srv_cpu_lua_$cert]}" "${R[srv_n_lua_$cert]}")
    row "  same, Lua CLI server (--quiet --www)" "$l" "$o" "$(ratio "$l" "$o")" "-"
  fi
  row "  crypto ceiling (bench_crypto x counts)" "$ceil" "-" "-" "-"
  row "  engine overhead = measured - ceiling" "$(awk -v a="$m" -v c="$ceil" 'BEGIN{printf "%.0f", a-c}')" "-" "-" "<= 150"
  row "  in-memory: engine total / crypto inside" "$(printf '%.0f/%.0f' "${R[inmem_server_$cert]}" "${R[inhs_server_$cert]}")" "-" "-" "-"
  row "  in-memory overhead (total - crypto)" "$(awk -v a="${R[inmem_server_$cert]}" -v c="${R[inhs_server_$cert]}" 'BEGIN{printf "%.0f", a-c}')" "-" "-" "<= 150"
done
for cert in p256 rsa; do
  name=$([ $cert = p256 ] && echo "x25519+ECDSA-P256" || echo "x25519+RSA-2048")
  m=$(us "${R[cli_cpu_moontls_$cert]}" "${R[cli_n_moontls_$cert]}")
  o=$(us "${R[cli_cpu_openssl_$cert]}" "${R[cli_n_openssl_$cert]}")
  ceil=$(printf '%.0f' "${R[ceil_client_$cert]}")
  row "client us/handshake $name" "$m" "$o" "$(ratio "$m" "$o")" "-"
  row "  crypto ceiling (bench_crypto x counts)" "$ceil" "-" "-" "-"
  row "  engine overhead = measured - ceiling" "$(awk -v a="$m" -v c="$ceil" 'BEGIN{printf "%.0f", a-c}')" "-" "-" "-"
  row "  in-memory overhead (total - crypto)" "$(awk -v a="${R[inmem_client_$cert]}" -v c="${R[inhs_client_$cert]}" 'BEGIN{printf "%.0f", a-c}')" "-" "-" "-"
done
for suite in aes-128-gcm chacha20-poly1305; do
  e=${R[bulk_engine_$suite]}
  row "bulk us/MB ${suite%-poly1305} engine seal+open" "$e" "${R[bulk_ossl_$suite]}" "$(ratio "$e" "${R[bulk_ossl_$suite]}")" "-"
  row "  raw AEAD same records, same process" "${R[bulk_raw_$suite]}" "-" "$(ratio "$e" "${R[bulk_raw_$suite]}")" "<= 1.10"
  row "  seal: engine/raw us/MB (min)" "${R[bulk_seal_$suite]}/${R[bulk_raw_seal_$suite]}" "-" "$(ratio "${R[bulk_seal_$suite]}" "${R[bulk_raw_seal_$suite]}")" "<= 1.10"
  row "  open zero-copy: engine/raw (min)" "${R[bulk_open_$suite]}/${R[bulk_raw_open_$suite]}" "-" "$(ratio "${R[bulk_open_$suite]}" "${R[bulk_raw_open_$suite]}")" "<= 1.10"
  row "  open feed+read: engine/raw (min)" "${R[bulk_open_plain_$suite]}/${R[bulk_raw_open_$suite]}" "-" "$(ratio "${R[bulk_open_plain_$suite]}" "${R[bulk_raw_open_$suite]}")" "-"
  row "  per-round engine/raw, median: seal" "-" "-" "${R[bulk_rr_seal_$suite]}" "<= 1.10"
  row "    open zero-copy / open feed+read" "-" "-" "${R[bulk_rr_open_$suite]}/${R[bulk_rr_open_plain_$suite]}" "<= 1.10"
  row "  medians seal/open/feed+read, raw s/o" "${R[bulk_med_seal_$suite]}/${R[bulk_med_open_$suite]}/${R[bulk_med_open_plain_$suite]}" "${R[bulk_med_raw_seal_$suite]}/${R[bulk_med_raw_open_$suite]}" "-" "-"
  if [ -n "${R[bulk_ir_seal_$suite]:-}" ]; then
    irm() { awk -v a="$1" 'BEGIN { printf "%.2fM", a / 1e6 }'; }
    for k in seal open open_plain; do
      rk=raw_seal; [ $k != seal ] && rk=raw_open
      row "  Ir/MB $k: engine/raw (callgrind)" "$(irm "${R[bulk_ir_${k}_$suite]}")/$(irm "${R[bulk_ir_${rk}_$suite]}")" "-" "$(ratio "${R[bulk_ir_${k}_$suite]}" "${R[bulk_ir_${rk}_$suite]}")" "$([ $k = open_plain ] && echo - || echo '<= 1.10')"
    done
  fi
  row "  raw AEAD from bench_crypto (seal x2)" "${R[bulk_bc_$suite]}" "-" "$(ratio "$e" "${R[bulk_bc_$suite]}")" "-"
done
if [ "$hooks_ok" = 1 ]; then
  pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }
  sub_() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; }
  row "Lua pair us/hs x25519+P256 (a) no hooks" "${R[hk_a]}" "-" "-" "-"
  row "  (b) no-op hook on 13 points, both roles" "${R[hk_b]}" "-" "$(ratio "${R[hk_b]}" "${R[hk_a]}") b/a" "<= 1.15"
  row "  (c) plain C pair (bench_engine pair)" "${R[hk_c]}" "-" "$(ratio "${R[hk_a]}" "${R[hk_c]}") a/c" "~1.00"
  row "  crypto inside (C pair), share of a / b" "${R[hk_crypto]}" "-" "$(pct "${R[hk_crypto]}" "${R[hk_a]}")/$(pct "${R[hk_crypto]}" "${R[hk_b]}")" "-"
  if [ -n "${R[ir_none]:-}" ]; then
    irk() { awk -v a="$1" 'BEGIN { printf "%.2fM", a / 1e6 }'; }
    row "  Ir/hs (callgrind) a / b / c" "$(irk "${R[ir_none]}")/$(irk "${R[ir_noop]}")/$(irk "${R[ir_c]}")" "-" "$(ratio "${R[ir_noop]}" "${R[ir_none]}") b/a" "<= 1.15"
    row "  Ir/hs crypto (c, toggled around calls)" "$(irk "${R[ir_crypto]}")" "-" "$(ratio "${R[ir_none]}" "${R[ir_c]}") a/c" "~1.00"
    row "  Ir/hs outside crypto a / b / c" "$(irk "$(sub_ "${R[ir_none]}" "${R[ir_crypto]}")")/$(irk "$(sub_ "${R[ir_noop]}" "${R[ir_crypto]}")")/$(irk "$(sub_ "${R[ir_c]}" "${R[ir_crypto]}")")" "-" "$(ratio "$(sub_ "${R[ir_noop]}" "${R[ir_crypto]}")" "$(sub_ "${R[ir_none]}" "${R[ir_crypto]}")") b/a" "-"
  fi
fi
row "idle server conn heap bytes (mallinfo2)" "$heap" "~22528 (issue)" "$(ratio "$heap" 22528)" "<= 24576"
row "idle server conn RSS bytes (statm)" "$rss" "-" "-" "-"
echo
echo "notes: CPU (user+sys) per operation, microseconds unless stated; ratio = moontls/openssl"
echo "  (or engine/raw). Handshakes: TLS 1.3, $SUITE, x25519, no tickets (s_server"
echo "  -num_tickets 0), client verifies the chain (s_time -CAfile -verify 4); server rows use"
echo "  s_time -new -www /bench.txt for ${ROUNDS}x${T}s per server, taking turns; counts:"
for cert in p256 rsa; do
  echo "  $cert server handshakes moontls ${R[srv_n_moontls_$cert]} openssl ${R[srv_n_openssl_$cert]} lua ${R[srv_n_lua_$cert]:-0};" \
    "client moontls ${R[cli_n_moontls_$cert]} openssl ${R[cli_n_openssl_$cert]}"
done
echo "  Server/client 'measured' includes the kernel's socket work (as OpenSSL's does); the"
echo "  in-memory rows are the engine alone: crypto inside = CPU inside the primitive calls."
echo "  Bulk: 16 KiB writes, ${BULK_MB} MB per round each way, minimum over $BULK_REPS interleaved"
echo "  rounds (medians shown for the spread; per-round ratios pair measurements taken back to"
echo "  back, so clock-speed changes between rounds cancel); seal = mt_conn_write + output + consume;"
echo "  open = the receiver's CPU for 4 records per read (reserve/commit + view/consume; the copy"
echo "  into the reservation stands for recv and is not counted), feed+read = mt_conn_feed +"
echo "  mt_conn_read. Raw = mt_aead_seal/open of the same 16385-byte records. Ir: callgrind, a"
echo "  rep movs/stos counts one per byte there, so copies weigh more than in CPU time."
echo "  openssl = 2 x openssl speed -evp (seal only) for the same bytes. Idle: $IDLE_N"
echo "  in-memory server connections after a handshake, client freed; OpenSSL's idle figure is"
echo "  the issue's (s_server serves one connection at a time, so it cannot hold N idle ones)."
echo "  idle connection holds: $idle_detail"
if [ "$hooks_ok" = 1 ]; then
  echo "  Lua hooks: tls.pair + tls.pump in memory, both sides' CPU (os.clock), median of 7"
  echo "  alternating rounds of $HOOK_REPS; (c) = the same configuration in C (client verifies"
  echo "  the chain, x25519, $SUITE). Hook calls per handshake with (b): ${R[hk_events]}:"
  echo "    ${R[hk_detail]}"
  echo "  Ir rows: callgrind instructions per handshake, deterministic (start-up cancelled by"
  echo "  difference), crypto = inside the outermost primitive/HKDF calls; CPU rows on shared"
  echo "  cores swing by 10-20% run to run, the Ir rows do not."
fi
for side in server client; do
  for cert in p256 rsa; do
    echo "  ceiling $side $cert: ${R[detail_${side}_$cert]}"
  done
done
