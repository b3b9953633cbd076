#!/usr/bin/env bash
# Peak memory of the local Worker process (workerd of `npm start`) while it takes a document file
# (API.md §15), for files of 1 MiB and 25 MiB: the peak resident set size (VmHWM) is reset before
# each upload (echo 5 > /proc/<pid>/clear_refs, Linux) and read after it. With `npm start -- --port
# <port>` running: bench/files-memory.sh <port> <workerd pid>. Note: local R2 (miniflare) runs in
# the same workerd process, so the figure is an upper bound of the Worker's own. Also throughput
# (MiB/s, wall clock at curl) and the process's CPU time (utime + stime of /proc/<pid>/stat, in
# clock ticks of 10 ms: Worker, local R2 and local D1 together — an upper bound of the Worker's CPU).
set -euo pipefail
PORT=$1; PID=$2
API=http://localhost:$PORT
KEY=$(cat .wrangler/dev-api-key)
H=(-H "X-Environment: test" -H "Authorization: Bearer $KEY")
TMP=$(mktemp -d)
hwm() { awk '/VmHWM/ {print $2}' /proc/$PID/status; }
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
TICK_MS=$((1000 / $(getconf CLK_TCK)))
cpu() { awk '{print $14 + $15}' /proc/$PID/stat; }
rate() { node -pe "($1 / ($2 / 1000)).toFixed(1)"; }
for MIB in ${SIZES:-25 1 25}; do
  head -c $((MIB * 1024 * 1024)) /dev/urandom > "$TMP/f.pdf"
  SYNC=$(curl -s -X POST "$API/clients/sync" "${H[@]}" -H "Content-Type: application/json" \
    -d '{"client":{"type":"individual","name":"Bench"},"documents":[{"type":"ine","contentType":"application/pdf"}]}')
  ID=$(node -pe 'JSON.parse(process.argv[1]).client.id' "$SYNC")
  DOC=$(node -pe 'JSON.parse(process.argv[1]).documents.created[0].id' "$SYNC")
  echo 5 > /proc/$PID/clear_refs
  BEFORE=$(rss); CPU0=$(cpu)
  START=$(date +%s%N)
  STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$API/clients/$ID/documents/$DOC/file" "${H[@]}" \
    -H "Content-Type: application/pdf" -H "Repr-Digest: sha-256=:$(openssl dgst -sha256 -binary "$TMP/f.pdf" | base64):" \
    --data-binary @"$TMP/f.pdf")
  MS=$(( ($(date +%s%N) - START) / 1000000 ))
  PEAK=$(hwm); CPUMS=$(( ($(cpu) - CPU0) * TICK_MS ))
  echo "upload ${MIB} MiB: HTTP $STATUS in ${MS} ms ($(rate $MIB $MS) MiB/s), workerd CPU ${CPUMS} ms; RSS before ${BEFORE} kB, peak during $PEAK kB (+$((PEAK - BEFORE)) kB)"
  echo 5 > /proc/$PID/clear_refs
  BEFORE=$(rss); CPU0=$(cpu)
  START=$(date +%s%N)
  curl -s -o "$TMP/back.pdf" "$API/clients/$ID/documents/$DOC/file" "${H[@]}"
  MS=$(( ($(date +%s%N) - START) / 1000000 ))
  PEAK=$(hwm); CPUMS=$(( ($(cpu) - CPU0) * TICK_MS ))
  cmp -s "$TMP/f.pdf" "$TMP/back.pdf" && SAME=identical || SAME=DIFFERENT
  echo "download ${MIB} MiB: ${SAME} in ${MS} ms ($(rate $MIB $MS) MiB/s), workerd CPU ${CPUMS} ms; RSS before ${BEFORE} kB, peak during $PEAK kB (+$((PEAK - BEFORE)) kB)"
done
rm -rf "$TMP"
