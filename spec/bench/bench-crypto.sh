#!/usr/bin/env bash
# `make bench-crypto`: each primitive's CPU cost in moontls next to `openssl speed` for
# the same operation in the same run, with the ratio moontls/openssl (1.00 = as fast,
# 2.00 = twice the CPU per operation). Both sides measure CPU time (openssl speed
# divides by user CPU time unless -elapsed is given; bench_crypto uses getrusage).
# A benchmark, not a test: it prints, it does not judge.
set -u
bin=${1:?usage: bench-crypto.sh BENCH_BINARY [seconds]}
secs=${2:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "moontls: measuring (about a minute)..." >&2
"$bin" 0.5 >"$tmp/ours" || { echo "bench_crypto failed" >&2; exit 1; }
echo "openssl speed: measuring (about a minute)..." >&2
{
  openssl speed -mr -seconds "$secs" -bytes 16384 -evp aes-128-gcm
  openssl speed -mr -seconds "$secs" -bytes 16384 -evp aes-256-gcm
  openssl speed -mr -seconds "$secs" -bytes 16384 -evp chacha20-poly1305
  openssl speed -mr -seconds "$secs" -bytes 16384 -evp sha256
  openssl speed -mr -seconds "$secs" -bytes 16384 -evp sha384
  openssl speed -mr -seconds "$secs" -bytes 16384 -hmac sha256
  openssl speed -mr -seconds "$secs" ecdhx25519 ecdhx448 ecdhp256 ecdhp384 ecdsap256 ecdsap384 rsa2048 ffdh2048
} 2>/dev/null >"$tmp/openssl"

# openssl's per-operation cost in microseconds for each of our names ("-" if none).
awk -F: '
  /^\+F:/  { n=tolower($3); mbs=$4/1e6; us=16384/($4)*1e6;
             if (n=="aes-128-gcm") o["aes-128-gcm"]=us;
             if (n=="aes-256-gcm") o["aes-256-gcm"]=us;
             if (n=="chacha20-poly1305") o["chacha20-poly1305"]=us;
             if (n=="sha256") o["sha256"]=us;
             if (n=="sha384") o["sha384"]=us;
             if (n ~ /hmac/) o["hmac-sha256"]=us }
  /^\+F2:/ { o["rsa2048-sign-pkcs1"]=1e6/$4; o["rsa2048-sign-pss"]=1e6/$4; o["rsa2048-verify"]=1e6/$5;
             o["rsa2048-decrypt-pms"]=1e6/$4 }
  /^\+F4:/ { c=($3==256?"p256":($3==384?"p384":"")); if (c!="") { o["ecdsa-" c "-sign"]=1e6/$4; o["ecdsa-" c "-verify"]=1e6/$5 } }
  /^\+F5:/ { if ($3==253) o["x25519"]=1e6/$4; else if ($3==448) o["x448"]=1e6/$4;
             else if ($3==256) o["ecdh-p256"]=1e6/$4; else if ($3==384) o["ecdh-p384"]=1e6/$4 }
  /^\+F8:/ { if ($3==2048) o["ffdhe2048"]=1e6/$4 }
  END { for (k in o) printf "%s %.3f\n", k, o[k] }
' "$tmp/openssl" >"$tmp/theirs"

printf '%-26s %12s %10s %12s %8s\n' primitive "moontls us" "MB/s" "openssl us" ratio
while read -r name us mbs; do
  theirs=$(awk -v n="$name" '$1==n {print $2}' "$tmp/theirs")
  if [ -n "$theirs" ]; then
    ratio=$(awk -v a="$us" -v b="$theirs" 'BEGIN { printf "%.2f", a/b }')
  else
    theirs="-"; ratio="-"
  fi
  [ "$mbs" = "0.0" ] && mbs="-"
  printf '%-26s %12s %10s %12s %8s\n' "$name" "$us" "$mbs" "$theirs" "$ratio"
done <"$tmp/ours"
echo "(CPU microseconds per operation; bulk rows are per 16 KiB; ratio = moontls / openssl)"
