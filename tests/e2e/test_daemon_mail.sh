#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# keepalived's mail alerts: an SMTP sink in the lab (aiosmtpd on web2)
# gets one mail per transition, with keepalived's subject and body: the
# vrrp_instance's BACKUP and MASTER, the vrrp_sync_group's (smtp_alert in
# its block, its instances' off; another group without it: off), a real
# server's DOWN and UP. Then an
# SMTP server that accepts and never answers, and one that is stopped,
# cost the health checks nothing: web1:8080's check rounds, counted by
# the server's own accept log, are as many in 10 s as without mail.
# `daemon stop`: the instance's and the group's "Stopping" mails, queued
# by the stop itself, reach the sink before the daemon exits; with the
# silent server instead, the daemon still exits within 10 s (its bound
# on sending at exit is 2 s), not after smtp_connect_timeout (20 s).
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck disable=SC2034 # variables read in the eval strings
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_mail

# apt's python3-aiosmtpd is /usr/bin/python3's.
PY=/usr/bin/python3
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
	not_ok "$E2E_NAME: python3-aiosmtpd missing (run scripts/deps.sh)"
	exit 1
fi

e2e_daemon_lab mail "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
ST=$(lab_state)
CONF=$E2E_TMP/lbxdp.conf
MAILS=$E2E_TMP/mails.jsonl
ROUNDS=$E2E_TMP/rounds
CONNS=$E2E_TMP/conns
LOG=$ST/daemon.log
TIMEOUT=20 # smtp_connect_timeout, s: the checks below fit in it
WINDOW=10000 # ms of check rounds counted
VIP2=198.18.0.20 # the sync group's instances'
VIP3=198.18.0.21
VIP4=198.18.0.22 # G2's, not mailed about
VIP5=198.18.0.23

cat >"$CONF" <<EOF
global_defs {
    router_id lbmail
    notification_email {
        ops@example.test
        oncall@example.test
    }
    notification_email_from lbxdp@example.test
    smtp_server $W2 2525
    smtp_helo_name lb.example.test
    smtp_connect_timeout $TIMEOUT
}
lbxdp_xdp {
    mode $E2E_MODE
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    smtp_alert
    virtual_ipaddress {
        $LAB_VIP
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP2
    }
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP3
    }
}
vrrp_sync_group G1 {
    group {
        VI_2
        VI_3
    }
    smtp_alert
}
! no smtp_alert here nor in global_defs: keepalived's default, off
vrrp_instance VI_4 {
    state BACKUP
    interface eth0
    virtual_router_id 54
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP4
    }
}
vrrp_instance VI_5 {
    state BACKUP
    interface eth0
    virtual_router_id 55
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP5
    }
}
vrrp_sync_group G2 {
    group {
        VI_4
        VI_5
    }
}
virtual_server $LAB_VIP 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server $W2 80 {
        smtp_alert off
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
! The check whose rounds are counted: one a second, never mailed.
virtual_server $LAB_VIP 8080 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server $W1 8080 {
        smtp_alert off
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF

sink_start() {
	lab_bg web2 smtp "$PY" "$E2E_DIR/smtp_sink.py" "$1" "$W2" 2525 "$2"
	SINK=$LAB_BG_PID
	E2E_PIDS="${E2E_PIDS:-} $SINK"
}
listening() { lab_exec web2 ss -Hltn "sport = :2525" | grep -q LISTEN; }
sink_start sink "$MAILS"
lab_bg web1 rounds "$PY" "$E2E_DIR/smtp_sink.py" accepts "$W1" 8080 "$ROUNDS"
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 10 listening

# subjects: one a line, in the order received; nsubj SUBJECT: how many.
subjects() {
	[ -f "$MAILS" ] || return 0
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["headers"]["Subject"])' "$MAILS"
}
nsubj() { subjects | grep -cxF -- "$1" || true; }
# mail_field SUBJECT PYEXPR: PYEXPR of the first mail with SUBJECT (m); a
# tuple's items joined by "|".
mail_field() {
	"$PY" -c 'import email.utils, json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m["headers"]["Subject"] == sys.argv[2]:
        v = eval(sys.argv[3])
        print("|".join(map(str, v)) if isinstance(v, tuple) else v)
        break' "$MAILS" "$1" "$2"
}
now_ms() { "$PY" -c 'import time; print(int(time.monotonic() * 1000))'; }
# rounds FROM: web1:8080's checks in [FROM, FROM + WINDOW) ms.
rounds() {
	awk -v a="$1" -v b="$(($1 + WINDOW))" '$1 >= a && $1 < b { n++ }
		END { print n + 0 }' "$ROUNDS"
}
state() {
	lab_lbxdp -j backend list "$LAB_SVC" >"$E2E_TMP/list.json" 2>/dev/null || return 0
	lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" state
}
notsent() { grep -c 'SMTP alert to .* not sent' "$LOG" || true; }

RS1="[lbmail] Realserver [$W1]:tcp:80 of virtual server [$LAB_VIP]:tcp:80"
BACKUP="[lbmail] VRRP Instance VI_1 - Entering BACKUP state"
MASTER="[lbmail] VRRP Instance VI_1 - Entering MASTER state"
GBACKUP="[lbmail] VRRP Group G1 - Entering BACKUP state"
GMASTER="[lbmail] VRRP Group G1 - Entering MASTER state"
STOPPING="[lbmail] VRRP Instance VI_1 - Stopping"
GSTOPPING="[lbmail] VRRP Group G1 - Stopping"

check "daemon -t takes the mail settings: no error, no warning about them" \
	eval 'lab_lbxdp daemon -t -f "$CONF" >"$E2E_TMP/t.out" 2>&1 &&
		grep -q "0 errors, 0 warnings" "$E2E_TMP/t.out"'
lab_bg lb daemon "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
DPID=$LAB_BG_PID
E2E_PIDS="${E2E_PIDS:-} $DPID"
e2e_wait 20 e2e_daemon_ready

e2e_wait 20 eval '[ "$(nsubj "$MASTER")" -ge 1 ] && [ "$(nsubj "$GMASTER")" -ge 1 ]'
check "VRRP: one mail entering BACKUP, then one entering MASTER" \
	eval '[ "$(subjects | grep -F "VRRP Instance" | tr "\n" "|")" = "$BACKUP|$MASTER|" ]'
check "vrrp_sync_group G1: one mail entering BACKUP, then one entering MASTER; none of its instances', none of G2's" \
	eval '[ "$(subjects | grep -F "VRRP Group" | tr "\n" "|")" = "$GBACKUP|$GMASTER|" ] &&
		[ "$(subjects | grep -c "VI_[2-5]")" = 0 ]'
check "group MASTER mail: keepalived's body" \
	eval '[ "$(mail_field "$GMASTER" "m[\"body\"]")" = "=> All VRRP group instances are now in MASTER state <=" ]'
check "MASTER mail: keepalived's body" \
	eval '[ "$(mail_field "$MASTER" "m[\"body\"]")" = "=> VRRP Instance is now owning VRRP VIPs <=" ]'
check "HELO smtp_helo_name, MAIL FROM notification_email_from, RCPT TO each" \
	eval '[ "$(mail_field "$MASTER" "m[\"helo\"], m[\"mail_from\"], \",\".join(m[\"rcpt_tos\"])")" = "lb.example.test|lbxdp@example.test|ops@example.test,oncall@example.test" ]'
check "headers: From, To (both), X-Mailer, an RFC 5322 Date" \
	eval '[ "$(mail_field "$MASTER" "m[\"headers\"][\"From\"], m[\"headers\"][\"To\"], m[\"headers\"][\"X-Mailer\"], email.utils.parsedate_tz(m[\"headers\"][\"Date\"]) is not None")" = "lbxdp@example.test|ops@example.test, oncall@example.test|lbxdp|True" ]'

# web2's smtp_alert off: its fall and return are not mailed.
kill "$(lab_web_pid web1)" "$(lab_web_pid web2)"
e2e_wait 10 eval '[ "$(state web1)" = down ] && [ "$(state web2)" = down ] &&
	[ "$(nsubj "$RS1 - DOWN")" -ge 1 ]'
check "web1 stopped: one DOWN mail" eval '[ "$(nsubj "$RS1 - DOWN")" = 1 ]'
check "DOWN mail: keepalived's TCP_CHECK body" \
	eval '[ "$(mail_field "$RS1 - DOWN" "m[\"body\"]")" = "=> TCP CHECK failed on service <=" ]'
lab_web_start web1 "$ST/www/web1"
lab_web_start web2 "$ST/www/web2"
e2e_wait 10 eval '[ "$(state web1)" = up ] && [ "$(state web2)" = up ] &&
	[ "$(nsubj "$RS1 - UP")" -ge 1 ]'
check "web1 started: one UP mail" eval '[ "$(nsubj "$RS1 - UP")" = 1 ]'
check "UP mail: keepalived's TCP_CHECK body" \
	eval '[ "$(mail_field "$RS1 - UP" "m[\"body\"]")" = "=> TCP CHECK succeed on service <=" ]'
check "web2 (smtp_alert off) down and up: no mail, six mails in all, none failed ($(subjects | wc -l) mails)" \
	eval '[ "$(subjects | wc -l)" = 6 ] && [ "$(notsent)" = 0 ]'

# The check rounds of web1:8080 (delay_loop 1) in a 10 s window: the
# baseline, with mail idle.
e2e_wait 15 eval '[ "$(wc -l <"$ROUNDS")" -ge 3 ]'
T=$(now_ms)
sleep $((WINDOW / 1000 + 1))
BASE=$(rounds "$T")
check "baseline: $BASE check rounds in 10 s (delay_loop 1)" in_range "$BASE" 9 11

# A server that accepts and never answers: the session waits for the
# greeting up to smtp_connect_timeout, and the checks go on meanwhile.
kill "$SINK"
e2e_wait 10 eval '! listening'
sink_start silent "$CONNS"
e2e_wait 10 listening
kill "$(lab_web_pid web1)"
e2e_wait 10 eval '[ -s "$CONNS" ]'
TC=$(head -1 "$CONNS")
# The daemon queues the DOWN mail, which connects at once, and writes the
# maps on its next turn: the list says down a moment after the sink saw
# the connection (else "up" below could be the state before it).
e2e_wait 10 eval '[ "$(state web1)" = down ]'
lab_web_start web1 "$ST/www/web1"
e2e_wait 20 eval '[ "$(state web1)" = up ]'
check "web1 down and up again while the DOWN mail is stuck (no failure logged yet)" \
	eval '[ "$(state web1)" = up ] && [ "$(notsent)" = 0 ]'
while [ "$(now_ms)" -lt $((TC + WINDOW + 500)) ]; do sleep 0.5; done
STUCK=$(rounds "$TC")
check "SMTP stuck: $STUCK check rounds in 10 s (baseline $BASE)" \
	eval 'in_range "$STUCK" 9 11 && [ "$STUCK" -ge $((BASE - 1)) ]'
check "one connection at a time: the UP mail waits its turn" \
	eval '[ "$(wc -l <"$CONNS")" = 1 ] && [ "$(notsent)" = 0 ]'
e2e_wait $((TIMEOUT + 5)) eval '[ "$(notsent)" -ge 1 ]'
check "the silent server costs a log line: timeout after ${TIMEOUT}000 ms (greeting)" \
	grep -q "SMTP alert to $W2:2525 not sent: timeout after ${TIMEOUT}000 ms (greeting)" "$LOG"
e2e_wait 10 eval '[ "$(wc -l <"$CONNS")" -ge 2 ]'
check "then the queued UP mail gets its own connection" \
	eval '[ "$(wc -l <"$CONNS")" = 2 ]'

# A stopped server: refused at once; the checks go on as before.
kill "$SINK"
e2e_wait 10 eval '! listening'
e2e_wait 5 eval '[ "$(notsent)" -ge 2 ]'
N0=$(notsent)
T=$(now_ms)
kill "$(lab_web_pid web1)"
e2e_wait 10 eval '[ "$(state web1)" = down ]'
lab_web_start web1 "$ST/www/web1"
e2e_wait 10 eval '[ "$(state web1)" = up ]'
while [ "$(now_ms)" -lt $((T + WINDOW + 500)) ]; do sleep 0.5; done
DEAD=$(rounds "$T")
check "SMTP stopped: $DEAD check rounds in 10 s (baseline $BASE)" \
	eval 'in_range "$DEAD" 9 11 && [ "$DEAD" -ge $((BASE - 1)) ]'
check "the DOWN and UP mails cost a log line each: connection refused" \
	eval '[ "$(notsent)" = $((N0 + 2)) ] &&
		[ "$(grep -c "not sent: connect: Connection refused" "$LOG")" = 2 ]'
check "the daemon still runs" e2e_daemon_ready
check "daemon status: 6 mails sent, $(notsent) failed, none dropped or queued" \
	eval 'lab_lbxdp -j daemon status >"$E2E_TMP/status.json" &&
		[ "$("$PY" -c "import json, sys; m = json.load(open(sys.argv[1]))[\"mail\"]; print(m[\"sent\"], m[\"failed\"], m[\"dropped\"], m[\"queued\"])" "$E2E_TMP/status.json")" = "6 $(notsent) 0 0" ]'

# The stop's own mails, queued after the loop ended: sent before the exit.
sink_start sink "$MAILS"
e2e_wait 10 listening
N=$(subjects | wc -l)
T=$(now_ms)
check "daemon stop: exit 0" eval 'lab_lbxdp daemon stop >/dev/null'
e2e_wait 15 eval '! kill -0 "$DPID" 2>/dev/null'
EXIT_MS=$(($(now_ms) - T))
check "the daemon exited, ${EXIT_MS} ms after daemon stop" \
	eval '! kill -0 "$DPID" 2>/dev/null'
check "stopped: the instance's and the group's Stopping mails, two in all" \
	eval '[ "$(nsubj "$STOPPING")" = 1 ] && [ "$(nsubj "$GSTOPPING")" = 1 ] &&
		[ "$(subjects | wc -l)" = $((N + 2)) ]'
check "Stopping mails: keepalived's bodies" \
	eval '[ "$(mail_field "$STOPPING" "m[\"body\"]")" = "=> VRRP Instance stopping <=" ] &&
		[ "$(mail_field "$GSTOPPING" "m[\"body\"]")" = "=> All VRRP group instances are now stopping <=" ]'
check "none left unsent at exit" eval '! grep -q "not sent at exit" "$LOG"'

# A silent server at the stop: the mails at exit are given up after 2 s,
# not after smtp_connect_timeout each. The exit is timed from `daemon
# stop` to the process gone, polled every 0.1 s.
kill "$SINK"
e2e_wait 10 eval '! listening'
: >"$CONNS"
sink_start silent "$CONNS"
e2e_wait 10 listening
lab_bg lb daemon2 "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
DPID=$LAB_BG_PID
E2E_PIDS="${E2E_PIDS:-} $DPID"
e2e_wait 20 e2e_daemon_ready
e2e_wait 10 eval '[ -s "$CONNS" ]'
T=$(now_ms)
lab_lbxdp daemon stop >/dev/null
e2e_wait 15 eval '! kill -0 "$DPID" 2>/dev/null'
EXIT_MS=$(($(now_ms) - T))
check "silent SMTP server: the daemon exits ${EXIT_MS} ms after daemon stop (under 10000)" \
	eval '! kill -0 "$DPID" 2>/dev/null && [ "$EXIT_MS" -lt 10000 ]'
check "the mails given up are logged at exit" \
	grep -q "SMTP: [0-9]* alert(s) not sent at exit" "$ST/daemon2.log"
if [ "$E2E_FAILED" -ne 0 ]; then
	diag "$(grep -i "smtp\|$W1:80\|$W2:80" "$LOG" | tail -30)"
	diag "$(subjects)"
	diag "rounds: $(tr '\n' ' ' <"$ROUNDS")" "conns: $(tr '\n' ' ' <"$CONNS")"
fi
e2e_done
