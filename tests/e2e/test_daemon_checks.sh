#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# The daemon's checkers against real servers in the lab: HTTP_GET takes a
# server down on a status it does not expect, SSL_GET checks a real TLS
# server (nginx with a certificate made here), MISC_CHECK with
# misc_dynamic sets a server's weight, which the split follows, and
# UDP_CHECK and DNS_CHECK keep a UDP service in step with its servers.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_checks

if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
	not_ok "$E2E_NAME: nginx or openssl missing (run scripts/deps.sh)"
	exit 1
fi

e2e_daemon_lab c "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
CONF=$E2E_TMP/lbxdp.conf
hits=$E2E_TMP/hits
WEIGHT_FILE=$E2E_TMP/weight

# web2: nginx with TLS on 443, a certificate made for the test.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$W2" \
	-keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" 2>/dev/null
mkdir -p "$E2E_TMP/nginx"
cat >"$E2E_TMP/nginx.conf" <<EOF
daemon off;
pid $E2E_TMP/nginx/pid;
error_log $E2E_TMP/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $E2E_TMP/nginx;
    proxy_temp_path $E2E_TMP/nginx;
    fastcgi_temp_path $E2E_TMP/nginx;
    uwsgi_temp_path $E2E_TMP/nginx;
    scgi_temp_path $E2E_TMP/nginx;
    server {
        listen $W2:443 ssl;
        ssl_certificate $E2E_TMP/cert.pem;
        ssl_certificate_key $E2E_TMP/key.pem;
        location / { return 200 "tls ok\n"; }
        location /broken { return 503; }
    }
}
EOF
lab_bg web2 nginx nginx -c "$E2E_TMP/nginx.conf"
NGINX=$LAB_BG_PID

# web1's MISC_CHECK: exits with the code in WEIGHT_FILE (misc_dynamic: 2
# and above is up with weight code - 2).
cat >"$E2E_TMP/misc.sh" <<EOF
#!/bin/sh
exit \$(cat $WEIGHT_FILE)
EOF
chmod 755 "$E2E_TMP/misc.sh"
echo 3 >"$WEIGHT_FILE" # weight 1

# UDP on :53 of web1 and web2: udp_echo.py answers a datagram with the
# server's name and a DNS query with rcode 0 (3 for nxdomain.*), from the
# VIP for clients and from the server's own address for its checks.
udp_start() {
	lab_bg "$1" "udp-$1" python3 "$E2E_DIR/udp_echo.py" serve "$1" \
		"$LAB_VIP,$(lab_ip "$1")" 53
	eval "UDP_${1^^}=\$LAB_BG_PID"
}
udp_start web1
udp_start web2
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# write_conf HTTP_PATH SSL_PATH
write_conf() {
	cat >"$CONF" <<EOF
lbxdp_xdp {
    mode $E2E_MODE
}
virtual_server $LAB_VIP 80 {
    delay_loop 1
    alpha
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        weight 1
        HTTP_GET {
            url {
                path $1
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
        MISC_CHECK {
            misc_path "$E2E_TMP/misc.sh"
            misc_timeout 2
            misc_dynamic
        }
    }
    real_server $W2 80 {
        weight 2
        SSL_GET {
            url {
                path $2
                status_code 200
            }
            connect_port 443
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
virtual_server $LAB_VIP 53 {
    delay_loop 1
    alpha
    lb_algo wrr
    lb_kind DR
    protocol UDP
    real_server $W1 53 {
        weight 1
        UDP_CHECK {
            payload $(hex ping)
            require_reply $(hex web1)
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server $W2 53 {
        weight 1
        DNS_CHECK {
            type A
            name lbxdp.test
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
! The same servers, with checks whose replies are wrong: never up.
virtual_server $LAB_VIP 5300 {
    delay_loop 1
    alpha
    lb_kind DR
    protocol UDP
    real_server $W1 5300 {
        UDP_CHECK {
            connect_port 53
            require_reply $(hex web2)
        }
    }
    real_server $W2 5300 {
        DNS_CHECK {
            connect_port 53
            name nxdomain.lbxdp.test
        }
    }
}
EOF
}

# field HOST FIELD [SERVICE]: a field of HOST's record in SERVICE (the TCP
# one by default); is HOST FIELD VALUE [SERVICE]: it is VALUE.
field() {
	lab_lbxdp -j backend list "${3:-$LAB_SVC}" >"$E2E_TMP/list.json" 2>/dev/null &&
		lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" "$2"
}
is() { [ "$(field "$1" "$2" "${4:-}")" = "$3" ]; }
summary() {
	echo "web1 $(lab_count web1 <"$1"), web2 $(lab_count web2 <"$1"), failed $(grep -c '^FAIL' "$1" || true)"
}

write_conf /index.html /
check "daemon -t takes the file" eval 'lab_lbxdp daemon -t -f "$CONF" 2>/dev/null'
# Started with SIGCHLD ignored, as a careless wrapper would: the daemon
# must set it back, or no MISC_CHECK could learn how its script ended.
lab_bg lb daemon env --ignore-signal=CHLD "$LBXDP" --pin-dir "$LAB_PIN_DIR" \
	daemon -f "$CONF"
E2E_PIDS="${E2E_PIDS:-} $LAB_BG_PID"
e2e_wait 20 e2e_daemon_ready
e2e_wait 10 eval 'is web2 state up && is web1 state up'
check "SSL_GET against nginx's TLS: web2 up (alpha: not before it passed)" \
	is web2 state up
check "HTTP_GET 200 and MISC_CHECK exit 3: web1 up with weight 1" \
	eval 'is web1 state up && is web1 weight 1'

# misc_dynamic: exit 10 is weight 8; the split follows.
echo 10 >"$WEIGHT_FILE"
e2e_wait 10 is web1 weight 8
check "MISC_CHECK exits 10: web1's weight is 8 (misc_dynamic)" is web1 weight 8
lab_hits 40 >"$hits"
check "the split follows the weights 8:2 ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 28 36 "$(lab_count web2 <"$hits")" 4 12 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0
echo 1 >"$WEIGHT_FILE"
e2e_wait 10 is web1 state down
check "MISC_CHECK exits 1: web1 down" is web1 state down
echo 3 >"$WEIGHT_FILE"
e2e_wait 10 is web1 state up

# HTTP_GET of a page that is not there: 404 is not the 200 it expects.
write_conf /missing.html /
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 is web1 state down
check "HTTP_GET gets 404 where it wants 200: web1 down" is web1 state down
lab_lbxdp -j backend list >"$E2E_TMP/list.json"
check "its reason names the status (HTTP 404)" \
	grep -q 'HTTP 404' "$E2E_TMP/list.json"
lab_hits 10 >"$hits"
check "web1 down: 10 connections all to web2 ($(summary "$hits"))" \
	[ "$(lab_count web2 <"$hits")" -eq 10 ]

# SSL_GET: a 503 and then no TLS server at all.
write_conf /index.html /broken
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 eval 'is web2 state down && is web1 state up'
check "SSL_GET gets 503: web2 down, web1 back up" \
	eval 'is web2 state down && is web1 state up'
write_conf /index.html /
lab_lbxdp daemon reload >/dev/null
e2e_wait 10 is web2 state up
check "SSL_GET 200 again: web2 up" is web2 state up
kill "$NGINX"
e2e_wait 10 is web2 state down
check "nginx stopped: web2 down" is web2 state down

# UDP_CHECK and DNS_CHECK on the UDP service.
DNS=$LAB_VIP:53/udp
WRONG=$LAB_VIP:5300/udp
e2e_wait 10 eval 'is web1 state up "$DNS" && is web2 state up "$DNS"'
check "UDP_CHECK's reply web1 and DNS_CHECK's rcode 0: both up (alpha)" \
	eval 'is web1 state up "$DNS" && is web2 state up "$DNS"'
e2e_wait 10 eval 'is web1 check.reason "reply mismatch" "$WRONG" &&
	is web2 check.reason "DNS rcode 3" "$WRONG"'
check "$WRONG: UDP_CHECK's reply is not require_reply's: web1 down (reply mismatch)" \
	eval 'is web1 check.reason "reply mismatch" "$WRONG" && is web1 state down "$WRONG"'
check "$WRONG: DNS_CHECK's answer has rcode 3: web2 down (DNS rcode 3)" \
	eval 'is web2 check.reason "DNS rcode 3" "$WRONG" && is web2 state down "$WRONG"'
# ask N PORT0: N datagrams to the VIP's :53, each a new flow from PORT0 + i.
ask() {
	timeout $(($1 * 6 + 10)) ip netns exec "${LAB_PREFIX}client" \
		python3 "$E2E_DIR/udp_echo.py" ask "$LAB_VIP" 53 "$1" "$2"
}
ask 20 21000 >"$hits"
check "UDP through the VIP: 20 flows split 1:1 ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 5 15 "$(lab_count web2 <"$hits")" 5 15 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0

# down_ms HOST: how long after T0 (when its responder stopped, in ms of
# the real-time clock) HOST's checks took it down: its record's since_ms,
# so that a slow poll does not count.
down_ms() {
	local since
	since=$(field "$1" check.since_ms "$DNS")
	echo $((${since:-0} - T0))
}
# web1's responder stops answering (SIGSTOP: its port stays open, silent):
# require_reply fails each check at connect_timeout, two in a row (retry
# 1) delay_before_retry apart: no sooner than 2 s, bound 1 + 1 + 2 x 1 s
# (the test allows 3 x the bound + 2 s, for the machine).
T0=$(date +%s%3N)
kill -STOP "$UDP_WEB1"
e2e_wait 14 is web1 state down "$DNS"
ms=$(down_ms web1)
check "web1's responder silent: UDP_CHECK took it down after $ms ms (no sooner than 2000, bound 4000, slack to 14000)" \
	eval 'is web1 state down "$DNS" && in_range "$ms" 2000 14000'
ask 10 21100 >"$hits"
check "web1 down: 10 new UDP flows all to web2 ($(summary "$hits"))" \
	[ "$(lab_count web2 <"$hits")" -eq 10 ]
kill -CONT "$UDP_WEB1"
e2e_wait 10 is web1 state up "$DNS"
check "web1's responder answers again: up" is web1 state up "$DNS"

# web2's responder exits: ICMP port unreachable fails each DNS_CHECK at
# once, two in a row 1 s apart: no sooner than 1 s, bound 1 + 1 s.
T0=$(date +%s%3N)
kill "$UDP_WEB2"
e2e_wait 8 is web2 state down "$DNS"
ms=$(down_ms web2)
check "web2's responder gone: DNS_CHECK took it down after $ms ms (no sooner than 1000, bound 2000, slack to 8000)" \
	eval 'is web2 state down "$DNS" && in_range "$ms" 1000 8000'
ask 10 21200 >"$hits"
check "web2 down: 10 new UDP flows all to web1 ($(summary "$hits"))" \
	[ "$(lab_count web1 <"$hits")" -eq 10 ]
udp_start web2
e2e_wait 10 is web2 state up "$DNS"
check "web2's responder back: up" is web2 state up "$DNS"
ask 10 21300 >"$hits"
check "both up again: 10 new UDP flows reach both ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 1 9 "$(lab_count web2 <"$hits")" 1 9 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0
e2e_done
