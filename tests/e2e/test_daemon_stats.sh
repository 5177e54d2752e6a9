#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# The daemon's stats page and /metrics (lbxdp_stats), as an operator and
# as an attacker use them, with curl in the lb namespace: basic auth
# (401 with the realm, a delay after a wrong password, no secret in the
# log), the page's rows, the exports, an admin's drain through the form
# with its CSRF token, a viewer refused, /metrics with its own auth.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck disable=SC2034 # variables read in the eval strings
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_stats

PY=/usr/bin/python3
e2e_daemon_lab stats "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
ST=$(lab_state)
CONF=$E2E_TMP/lbxdp.conf
LOG=$ST/daemon.log
PORT=1080
BASE=http://127.0.0.1:$PORT
HASH=$(openssl passwd -6 -salt lbxdpsalt viewpw)
# yescrypt at twice mkpasswd's cost: 32 MiB, ~35 ms a hash
YHASH='$y$jAT$lbxdpyescryptsalt1$UqcOAbFz70eg602qIk8Xbs/7507hzY6wCxm0DNYALnB'

cat >"$CONF" <<EOF
global_defs {
    router_id lbstats
}
lbxdp_xdp {
    mode $E2E_MODE
}
lbxdp_stats {
    bind 127.0.0.1:$PORT
    uri /stats
    realm "lbxdp lab"
    auth admin:s3cret-admin
    auth viewer:$HASH
    auth heavy:$YHASH
    admin admin
    refresh 2s
    timeout http-request 3s
}
virtual_server $LAB_VIP 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server $W2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
EOF

# get [CURL ARGS...] PATH: curl in the lb namespace; the body on stdout,
# the status in $E2E_TMP/code.
get() {
	local path=${*: -1}
	lab_exec lb curl -sS -m 10 -o "$E2E_TMP/body" -w '%{http_code}' \
		"${@:1:$#-1}" "$BASE$path" >"$E2E_TMP/code" || true
	cat "$E2E_TMP/body"
}
code() { cat "$E2E_TMP/code"; }
state() {
	lab_lbxdp -j backend list "$LAB_SVC" >"$E2E_TMP/list.json" 2>/dev/null || return 0
	lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" "$2"
}
ADM=(-u admin:s3cret-admin)
VIEW=(-u viewer:viewpw)

check "daemon -t takes lbxdp_stats: no error, no warning" \
	eval 'lab_lbxdp daemon -t -f "$CONF" >"$E2E_TMP/t.out" 2>&1 &&
		grep -q "0 errors, 0 warnings" "$E2E_TMP/t.out"'
lab_bg lb daemon "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
DPID=$LAB_BG_PID
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 20 e2e_daemon_ready
e2e_wait 20 eval '[ "$(state web1 health)" = up ] && [ "$(state web2 health)" = up ]'
check "the stats server started, its HTTP library's reports in the daemon's log" \
	eval 'grep -q "stats: serving http://127.0.0.1:$PORT/stats and /metrics" "$LOG" && ! grep -q "standard MHD logger" "$LOG"'

get -D "$E2E_TMP/hdr" /stats >/dev/null
check "no credentials: 401 with the realm" \
	eval '[ "$(code)" = 401 ] && grep -qi "^WWW-Authenticate: Basic realm=\"lbxdp lab\"" "$E2E_TMP/hdr"'
T0=$(date +%s%N)
get -u admin:wrong /stats >/dev/null
T1=$(date +%s%N)
check "a wrong password: 401 after a delay of 1 s or more ($(((T1 - T0) / 1000000)) ms)" \
	eval '[ "$(code)" = 401 ] && [ $((T1 - T0)) -ge 1000000000 ]'
# Credentials that do not decode (no colon) are a failed login too.
T0=$(date +%s%N)
get -H "Authorization: Basic $(printf nocolon | base64)" /stats >/dev/null
T1=$(date +%s%N)
check "undecodable credentials: 401 after a delay of 1 s or more ($(((T1 - T0) / 1000000)) ms)" \
	eval '[ "$(code)" = 401 ] && [ $((T1 - T0)) -ge 1000000000 ]'
# A connection's thread runs below the loop (nice 10): seen while one
# waits out its wrong password.
niced() { ps -L -o nice= -p "$DPID" | grep -qx ' *10'; }
lab_exec lb curl -s -o /dev/null -u admin:wrong "$BASE/stats" &
CURL=$!
e2e_wait 5 niced
check "a connection's thread runs at nice 10, the loop at 0" \
	eval 'niced && ps -o nice= -p "$DPID" | grep -qx " *0"'
wait "$CURL" || true
check "the failure is logged with the user, never the password" \
	eval 'grep -q "authentication failed for user .admin." "$LOG" && ! grep -q "wrong\|s3cret\|viewpw" "$LOG"'
FORGED=$(printf 'x\nstats forged line:pw' | base64 -w0)
get -H "Authorization: Basic $FORGED" /stats >/dev/null
check "a user name with a newline: 401, and no forged log line" \
	eval '[ "$(code)" = 401 ] && grep -q "user .x?stats forged line. from" "$LOG" && ! grep -q "^stats forged" "$LOG"'
get "${ADM[@]}" /stats >"$E2E_TMP/page.html"
check "admin: 200, both real servers' rows with their weights" \
	eval '[ "$(code)" = 200 ] && grep -q "data-rs=\"$W1\"[^>]*data-weight=\"1\"" "$E2E_TMP/page.html" &&
		grep -q "data-rs=\"$W2\"[^>]*data-weight=\"2\"" "$E2E_TMP/page.html"'
check "admin: the page has the action forms" \
	eval 'grep -q "name=\"csrf\"" "$E2E_TMP/page.html"'
get "${VIEW[@]}" /stats >"$E2E_TMP/view.html"
check "viewer (a \$6\$ hash): 200, no action forms" \
	eval '[ "$(code)" = 200 ] && grep -q "data-rs=\"$W1\"" "$E2E_TMP/view.html" && ! grep -q "name=\"csrf\"" "$E2E_TMP/view.html"'
check "the page holds no password" \
	eval '! grep -q "s3cret\|viewpw\|heavypw\|$HASH" "$E2E_TMP/page.html"'
get -u heavy:heavypw /stats >/dev/null
check "a yescrypt user: 200" eval '[ "$(code)" = 200 ]'

# Logins take turns at the hashed passwords, two at a time: 15 wrong
# logins at once of the yescrypt user (one below the per-address limit,
# whose slot of the last request may not be free yet), each hashing it,
# would take 15 times its 32 MiB. Past the one the login above took, the daemon's
# peak resident memory grows by less than 3 of them.
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$DPID/status"; }
HWM0=$(hwm)
lab_exec lb "$PY" - "$PORT" 15 >"$E2E_TMP/burst" <<'PYEOF'
import base64
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
auth = base64.b64encode(b"heavy:wrong").decode()
socks = [socket.create_connection(("127.0.0.1", port), timeout=30)
         for _ in range(n)]
for s in socks:
    s.sendall(("GET /stats HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n"
               % auth).encode())
for s in socks:
    buf = b""
    while b"\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            break
        buf += data
    print(buf.split(b"\r\n")[0].decode())
PYEOF
HWM1=$(hwm)
check "15 wrong logins at once: 15 401s, peak memory +$(((HWM1 - HWM0) / 1024)) MiB, under 96" \
	eval '[ "$(grep -c "^HTTP/1.. 401 " "$E2E_TMP/burst" || true)" = 15 ] &&
		[ $((HWM1 - HWM0)) -lt 98304 ]'

# Slowloris: 15 clients from one address (of the 16 slots it may hold:
# the last request's may not be free yet) each send a header line every
# 0.5 s, never the blank line that ends the request. Each line resets
# libmicrohttpd's idle timeout (10 s); "timeout http-request 3s" cuts
# each 3 s after its connection opened, which frees its thread. Each
# time is counted from before its client's connect: not under 3 s.
cat >"$E2E_TMP/slow.py" <<'PYEOF'
import base64
import http.client
import select
import socket
import sys
import time

port, mode, n, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), 20
if mode == "keepalive":
    # n requests on one connection, 1.5 s apart: each comes whole 1.5 s
    # after the answer before it, the last 1.5 s past 3 s after the open.
    # A viewer's form (403): libmicrohttpd 0.9.75 closes after a page,
    # answered at the headers, and keeps a connection after a form.
    hdr = {"Authorization": "Basic " +
           base64.b64encode(b"viewer:viewpw").decode(),
           "Content-Type": "application/x-www-form-urlencoded"}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    got = []
    for i in range(n):
        if i:
            time.sleep(1.5)
        try:
            c.request("POST", "/stats", body="csrf=0", headers=hdr)
            local = c.sock.getsockname()[1]
            r = c.getresponse()
            r.read()
            got.append("%d:%d" % (r.status, local))
        except (OSError, http.client.HTTPException) as e:
            got.append(type(e).__name__)
    print(" ".join(got))
    sys.exit(0)
head = b"GET /stats HTTP/1.1\r\nHost: lab\r\n"
if mode == "silent":
    secs = 8  # less than libmicrohttpd's idle timeout: not what cuts
if mode in ("body", "silent"):
    # whole headers, an admin's: then a form that never ends, or none
    head = (b"POST /stats HTTP/1.1\r\nHost: lab\r\nAuthorization: Basic " +
            base64.b64encode(b"admin:s3cret-admin") +
            b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 4000\r\n\r\n")
socks, t = [], []
for _ in range(n):
    t.append(time.monotonic())
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(head)
    socks.append(s)
cut, i = {}, 0
while len(cut) < n and time.monotonic() - t[0] < secs:
    for k, s in enumerate(socks):
        if k in cut:
            continue
        try:
            if mode != "silent":
                s.sendall(b"a=%d&" % i if mode == "body" else
                          b"X-Slow-%d: x\r\n" % i)
            if select.select([s], [], [], 0)[0] and not s.recv(4096):
                cut[k] = time.monotonic() - t[k]
        except OSError:
            cut[k] = time.monotonic() - t[k]
    i += 1
    time.sleep(0.5)
print("%d cut, after %.2f to %.2f s" % (len(cut), min(cut.values(), default=0),
                                       max(cut.values(), default=0)))
PYEOF
# in_time LO HI: cut no sooner than 3 s (by construction), and well before
# libmicrohttpd's idle timeout (10 s) could have been what cut them
in_time() { awk -v lo="$1" -v hi="$2" 'BEGIN { exit !(lo >= 3 && hi < 9) }'; }
lab_exec lb "$PY" "$E2E_TMP/slow.py" "$PORT" head 15 >"$E2E_TMP/slow"
check "15 requests that never end: each cut after its 3 s ($(cat "$E2E_TMP/slow"))" \
	eval 'read -r n _ _ lo _ hi _ <"$E2E_TMP/slow" && [ "$n" = 15 ] && in_time "$lo" "$hi"'
get "${VIEW[@]}" /stats >/dev/null
check "... and the address gets its page" eval '[ "$(code)" = 200 ]'
# An admin's form, its headers whole, that never ends: answering the
# headers (a login) stops the clock, the body starts it again.
lab_exec lb "$PY" "$E2E_TMP/slow.py" "$PORT" body 3 >"$E2E_TMP/slow"
check "3 forms that never end: each cut after its 3 s ($(cat "$E2E_TMP/slow"))" \
	eval 'read -r n _ _ lo _ hi _ <"$E2E_TMP/slow" && [ "$n" = 3 ] && in_time "$lo" "$hi"'
lab_exec lb "$PY" "$E2E_TMP/slow.py" "$PORT" silent 3 >"$E2E_TMP/slow"
check "3 forms whose body never comes: each cut after its 3 s ($(cat "$E2E_TMP/slow"))" \
	eval 'read -r n _ _ lo _ hi _ <"$E2E_TMP/slow" && [ "$n" = 3 ] && in_time "$lo" "$hi"'
# Kept alive: each request's time starts at the answer before it.
lab_exec lb "$PY" "$E2E_TMP/slow.py" "$PORT" keepalive 4 >"$E2E_TMP/slow"
check "4 requests 1.5 s apart on one connection: 4 answers ($(cat "$E2E_TMP/slow"))" \
	eval '[ "$(grep -o "403:[0-9]*" "$E2E_TMP/slow" | sort -u | wc -l)" = 1 ] &&
		[ "$(grep -o "403:" "$E2E_TMP/slow" | wc -l)" = 4 ]'
check "daemon -t: a timeout lbxdp_stats has not is an error, named" \
	eval 'sed "s/timeout http-request 3s/timeout client 3s/" "$CONF" >"$E2E_TMP/bad.conf" &&
		! lab_lbxdp daemon -t -f "$E2E_TMP/bad.conf" >"$E2E_TMP/t.out" 2>&1 &&
		grep -q "timeout: .client. is not one lbxdp_stats has" "$E2E_TMP/t.out"'

TOKEN=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$E2E_TMP/page.html" | head -1 | sed 's/.*value="\(.*\)"/\1/')
SVC_ENC=$(printf '%s' "$LAB_SVC" | "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')
get "${VIEW[@]}" --data "csrf=$TOKEN&svc=$SVC_ENC&rs=$W1&action=drain" /stats >/dev/null
check "a viewer's POST: 403 (not an admin), nothing changed" \
	eval '[ "$(code)" = 403 ] && grep -q "not an admin" "$E2E_TMP/body" && [ "$(state web1 weight)" = 1 ]'
get "${ADM[@]}" --data "csrf=0000&svc=$SVC_ENC&rs=$W1&action=drain" /stats >/dev/null
check "an admin's POST without the right CSRF token: 403, nothing changed" \
	eval '[ "$(code)" = 403 ] && [ "$(state web1 weight)" = 1 ]'
get "${ADM[@]}" -H "Origin: http://attacker.example" --data "csrf=$TOKEN&svc=$SVC_ENC&rs=$W1&action=drain" /stats >/dev/null
check "an admin's POST with its token from another site's form (Origin): 403, nothing changed" \
	eval '[ "$(code)" = 403 ] && grep -q "another site" "$E2E_TMP/body" && [ "$(state web1 weight)" = 1 ]'
get "${ADM[@]}" -D "$E2E_TMP/hdr" -H "Origin: http://127.0.0.1:$PORT" --data "csrf=$TOKEN&svc=$SVC_ENC&rs=$W1&action=drain" /stats >/dev/null
check "an admin's drain: 303 to the page; backend list: weight 0, the operator's" \
	eval '[ "$(code)" = 303 ] && grep -qi "^Location: /stats?action=done" "$E2E_TMP/hdr" &&
		[ "$(state web1 weight)" = 0 ]'
check "the action is logged with the user" \
	eval 'grep -q "stats: admin from 127.0.0.1: drain of $LAB_SVC $W1: done" "$LOG"'
get "${ADM[@]}" --data "csrf=$TOKEN&svc=$SVC_ENC&rs=$W1&action=ready" /stats >/dev/null
e2e_wait 10 eval '[ "$(state web1 weight)" = 1 ]'
check "ready hands it back to the checks: weight 1 again" \
	eval '[ "$(code)" = 303 ] && [ "$(state web1 weight)" = 1 ]'

get "${ADM[@]}" "/stats;csv" >"$E2E_TMP/s.csv"
check "CSV: HAProxy's header and a row a real server" \
	eval '[ "$(code)" = 200 ] && head -1 "$E2E_TMP/s.csv" | grep -q "^# pxname,svname," &&
		"$PY" -c "import csv,sys; r=list(csv.reader(open(sys.argv[1]))); sys.exit(0 if sum(1 for x in r if len(x)>1 and x[1] in (sys.argv[2], sys.argv[3])) == 2 else 1)" "$E2E_TMP/s.csv" "$W1" "$W2"'
get "${ADM[@]}" "/stats;json" >"$E2E_TMP/s.json"
check "JSON: parses, both real servers" \
	eval '[ "$(code)" = 200 ] && "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); a=[r[\"address\"] for v in d[\"virtual_servers\"] for r in v[\"real_servers\"]]; sys.exit(0 if sorted(a)==sorted(sys.argv[2:]) else 1)" "$E2E_TMP/s.json" "$W1" "$W2"'
get /metrics >/dev/null
check "/metrics wants the same users (metrics_auth on): 401" eval '[ "$(code)" = 401 ]'
get "${VIEW[@]}" /metrics >"$E2E_TMP/metrics"
check "/metrics with a user: 200" eval '[ "$(code)" = 200 ]'
if command -v promtool >/dev/null; then
	check "/metrics passes promtool check metrics" \
		eval 'promtool check metrics <"$E2E_TMP/metrics" >"$E2E_TMP/promtool.out" 2>&1'
else
	not_ok "$E2E_NAME: promtool missing (run scripts/deps.sh)"
fi
# Counters: some traffic through the VIP, then /metrics and lbxdp -j
# stats read the same maps (nothing moves in between).
lab_hits 6 >/dev/null
# the server reads the maps at most once a second: a read after the hits
sleep 1.1
get "${VIEW[@]}" /metrics >"$E2E_TMP/metrics"
lab_lbxdp -j stats >"$E2E_TMP/stats.json"
"$PY" - "$E2E_TMP/metrics" "$E2E_TMP/stats.json" >"$E2E_TMP/agree" <<'PYEOF' || true
import json, re, sys
m = {}
for l in open(sys.argv[1]):
    g = re.match(r'(lbxdp_(?:backend_packets|backend_bytes|backend_new_flows|frames)_total)\{([^}]*)\} (\S+)', l)
    if g:
        m[(g[1], g[2])] = int(float(g[3]))
s = json.load(open(sys.argv[2]))
want = {}
for v in s["vips"]:
    for b in v["backends"]:
        lab = 'vip="%s",backend="%s"' % (v["service"], b["address"])
        for k in ("packets", "bytes", "new_flows"):
            want[("lbxdp_backend_%s_total" % k, lab)] = b[k]
for k, n in s["reasons"].items():
    if k != "forwarded":
        continue  # passed frames (check replies) move meanwhile
    want[("lbxdp_frames_total", 'reason="%s"' % k)] = n
bad = [k for k in want if m.get(k) != want[k]]
fwd = want[("lbxdp_frames_total", 'reason="forwarded"')]
print("%d compared, %d differ, forwarded %d" % (len(want), len(bad), fwd))
print(*bad, file=sys.stderr)
PYEOF
check "/metrics' counters agree with lbxdp -j stats ($(cat "$E2E_TMP/agree"))" \
	eval 'grep -q " 0 differ, forwarded [1-9]" "$E2E_TMP/agree"'
get /nothing >/dev/null
check "another path: 404" eval '[ "$(code)" = 404 ]'

# Reloads: new users on the same socket; an address that cannot be bound,
# or a bad certificate, refuses the reload and the running page stays.
sed -i 's/auth admin:s3cret-admin/auth admin:n3w-admin/' "$CONF"
check "reload with a new password: done" eval 'lab_lbxdp daemon reload >/dev/null 2>&1'
get "${ADM[@]}" /stats >/dev/null
check "the old password: 401" eval '[ "$(code)" = 401 ]'
ADM=(-u admin:n3w-admin)
get "${ADM[@]}" /stats >/dev/null
check "the new one: 200" eval '[ "$(code)" = 200 ]'
# A reload refused after the new server started (flow sync's key file is
# read later): the new server is stopped, its password never answers.
cp "$CONF" "$E2E_TMP/good.conf"
printf '0123456789abcdef0123' >"$E2E_TMP/sync.key"
chmod 644 "$E2E_TMP/sync.key"
sed -i -e 's/auth admin:n3w-admin/auth admin:0ther-admin/' \
	-e 's/router_id lbstats/router_id lbstats\n    lvs_sync_daemon eth0/' \
	-e "s|mode $E2E_MODE|mode $E2E_MODE\n    sync_key_file $E2E_TMP/sync.key|" "$CONF"
check "a reload refused for flow sync's key file (mode 0644)" \
	eval '! lab_lbxdp daemon reload >"$E2E_TMP/r.out" 2>&1 && grep -q "sync_key_file" "$E2E_TMP/r.out"'
n401=0
for _ in 1 2 3 4 5 6; do
	get -u admin:0ther-admin /stats >/dev/null
	if [ "$(code)" = 401 ]; then n401=$((n401 + 1)); fi
done
get "${ADM[@]}" /stats >/dev/null
check "its password: 6 of 6 requests 401 ($n401); the running one: 200" \
	eval '[ "$n401" = 6 ] && [ "$(code)" = 200 ]'
cp "$E2E_TMP/good.conf" "$CONF"
lab_bg lb busy "$PY" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 1081)); s.listen(); time.sleep(120)'
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 10 eval 'lab_exec lb ss -Hltn "sport = :1081" | grep -q LISTEN'
sed -i "s/bind 127.0.0.1:$PORT/bind 127.0.0.1:1081/" "$CONF"
check "reload to a port in use: refused (exit 2), saying so" \
	eval '! lab_lbxdp daemon reload >"$E2E_TMP/r.out" 2>&1 && grep -q "cannot listen on 127.0.0.1:1081: Address already in use" "$E2E_TMP/r.out"'
get "${ADM[@]}" /stats >/dev/null
check "the running page stays on :$PORT" eval '[ "$(code)" = 200 ]'
sed -i "s/bind 127.0.0.1:1081/bind 127.0.0.1:$PORT/" "$CONF"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lbxdp-lab \
	-keyout "$E2E_TMP/stats.key" -out "$E2E_TMP/stats.pem" 2>/dev/null
echo "not a certificate" >"$E2E_TMP/bad.pem"
sed -i "s|refresh 2s|refresh 2s\n    certificate $E2E_TMP/bad.pem\n    key $E2E_TMP/stats.key|" "$CONF"
check "reload with a bad certificate: refused" \
	eval '! lab_lbxdp daemon reload >"$E2E_TMP/r.out" 2>&1 && grep -q "did not start" "$E2E_TMP/r.out"'
get "${ADM[@]}" /stats >/dev/null
check "the running page stays, plain HTTP" eval '[ "$(code)" = 200 ]'
sed -i "s|$E2E_TMP/bad.pem|$E2E_TMP/stats.pem|" "$CONF"
check "reload with a certificate and its key: done" eval 'lab_lbxdp daemon reload >/dev/null 2>&1'
BASE=https://127.0.0.1:$PORT
get "${ADM[@]}" -k /stats >"$E2E_TMP/tls.html"
check "TLS: the page over https" \
	eval '[ "$(code)" = 200 ] && grep -q "data-rs=\"$W1\"" "$E2E_TMP/tls.html"'
e2e_done
