// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* attach, detach, status */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include "attach.h"
#include "cli.h"
#include "log.h"
#include "maps.h"
#include "netlink.h"
#include "parse.h"
#include "runpath.h"
#include "service.h"

int do_attach(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_attach_opts o = {.pin_dir = cli->pin_dir,
				      .lock_wait_ms = cli->lock_wait_ms};
	int i;

	if (has_help_flag(argc, argv))
		return help_print(
			cli,
			"Usage: lbxdp attach IFACE [--mode native|generic] [--force]\n"
			"       [--max-vips N] [--max-backends N] [--flows N] [--ring-size PRIME]\n"
			"  Loads the XDP program (once), pins its maps and link in the pin directory.\n"
			"  Again on the same interface: nothing to do, or a newer build swapped in\n"
			"  without a gap. --force replaces a foreign XDP program (a short gap).\n"
			"  Capacities (defaults %u, %u per VIP, %u, %u) are fixed when the maps\n"
			"  are created; change them with 'detach --purge' and attach again.\n",
			LBXDP_DEF_MAX_VIPS, LBXDP_DEF_MAX_BACKENDS,
			LBXDP_DEF_FLOWS, LBXDP_DEF_RING_SIZE);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int err = 0;

		if (!strcmp(a, "--mode")) {
			if (v && !strcmp(v, "native")) {
				o.mode = LBXDP_MODE_NATIVE;
			} else if (v && !strcmp(v, "generic")) {
				o.mode = LBXDP_MODE_GENERIC;
			} else {
				p_err("bad --mode '%s': native or generic",
				      v ? v : "");
				return EXIT_USAGE;
			}
			o.mode_set = true;
			i++;
		} else if (!strcmp(a, "--force")) {
			o.force = true;
		} else if (!strcmp(a, "--max-vips")) {
			err = arg_u32(a, v, 1, 65536, &o.max_vips);
			i++;
		} else if (!strcmp(a, "--max-backends")) {
			err = arg_u32(a, v, 1, 65536, &o.max_backends);
			i++;
		} else if (!strcmp(a, "--flows")) {
			err = arg_u32(a, v, 1024, 1U << 28, &o.flows);
			i++;
		} else if (!strcmp(a, "--ring-size")) {
			err = arg_u32(a, v, 3, LBXDP_MAX_RING_SIZE,
				      &o.ring_size);
			i++;
		} else if (a[0] == '-') {
			p_err("unknown option '%s' for attach", a);
			return EXIT_USAGE;
		} else if (!o.ifname) {
			o.ifname = a;
		} else {
			p_err("unexpected argument '%s': one interface", a);
			return EXIT_USAGE;
		}
		if (err)
			return EXIT_USAGE;
	}
	if (!o.ifname) {
		p_err("attach needs an interface: lbxdp attach IFACE");
		return EXIT_USAGE;
	}
	i = lbxdp_attach(&o);
	/* A capacity that cannot work (-EDOM) is a bad value. */
	if (i)
		return i == -EDOM ? EXIT_USAGE : EXIT_FAIL;
	/* -j: what was attached, as status -j shows it. */
	return cli->json ? do_status(cli, 0, NULL) : EXIT_OK;
}

int do_detach(struct cli *cli, int argc, char **argv)
{
	const char *ifname = NULL;
	bool purge = false;
	int i;

	if (has_help_flag(argc, argv))
		return help_print(
			cli,
			"Usage: lbxdp detach [IFACE] [--purge]\n"
			"  Detaches the program. The maps stay pinned (a later attach finds\n"
			"  every VIP and backend again) unless --purge removes them.\n");
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--purge")) {
			purge = true;
		} else if (argv[i][0] == '-') {
			p_err("unknown option '%s' for detach", argv[i]);
			return EXIT_USAGE;
		} else if (!ifname) {
			ifname = argv[i];
		} else {
			p_err("unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	i = lbxdp_detach_wait(cli->pin_dir, ifname, purge, cli->lock_wait_ms);
	if (!i && cli->json)
		json_print(cli, NULL); /* as bpftool: nothing to show */
	return exit_code(i);
}

int do_status(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_entry *vips = NULL;
	char ifname[IF_NAMESIZE] = "-", mac[18], buf[18];
	struct lbxdp_link_info li;
	bool mac_stale = false;
	struct lbxdp_ctx c;
	size_t nvips = 0, i;
	__u8 now_mac[6];
	int err, stale;
	bool meta = true;
	struct lbxdp_health_summary hn;
	pid_t daemon;

	if (has_help_flag(argc, argv))
		return help_print(cli, "Usage: lbxdp status\n");
	if (argc) {
		p_err("unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	err = lbxdp_open(&c, cli->pin_dir, false);
	if (err)
		return EXIT_FAIL;
	err = lbxdp_link_query(cli->pin_dir, &li);
	if (!err)
		err = lbxdp_vip_list(&c, &vips, &nvips);
	if (err)
		goto cleanup;
	/* A reader reports what a killed writer left; the next writer
	 * repairs it (a reader holds no lock to write with). */
	stale = lbxdp_repair(&c, false);
	if (stale > 0)
		p_warn("%d entries derived from the records differ from them (a writer was killed mid-change): the next writer repairs them",
		       stale);
	if (li.attached)
		if_indextoname(li.ifindex, ifname);
	lbxdp_format_mac(c.cfg.mac, mac, sizeof(mac));
	daemon = lbxdp_daemon_pid(cli->pin_dir);
	err = lbxdp_health_summary(&c, &hn);
	if (err)
		goto cleanup;
	for (i = M_FIRST_OPTIONAL; i < M_NR; i++)
		meta = meta && c.fd[i] >= 0;
	if (!meta)
		p_warn("the maps in %s lack some that this lbxdp uses (made by an older one): run 'lbxdp attach %s' again to create them",
		       cli->pin_dir, li.attached ? ifname : "IFACE");
	/* The program knows the interface's MAC from attach time. */
	if (li.attached && !lbxdp_nl_link_mac(li.ifindex, now_mac) &&
	    memcmp(now_mac, c.cfg.mac, sizeof(now_mac))) {
		mac_stale = true;
		p_warn("%s's MAC is now %s, the program still takes and sends frames as %s: run 'lbxdp attach %s' again",
		       ifname, lbxdp_format_mac(now_mac, buf, sizeof(buf)), mac,
		       ifname);
	}

	if (cli->json) {
		struct json_object *o = json_object_new_object(), *d;

#define J(k, v) json_object_object_add(o, k, v)
		J("pin_dir", json_object_new_string(cli->pin_dir));
		J("abi", json_object_new_int(c.cfg.abi_version));
		J("attached", json_object_new_boolean(li.attached));
		J("interface", json_object_new_string(ifname));
		J("mac", json_object_new_string(mac));
		J("mac_stale", json_object_new_boolean(mac_stale));
		J("mode", json_object_new_string(li.mode == LBXDP_MODE_GENERIC
							 ? "generic"
							 : "native"));
		J("prog_id", json_object_new_int64(li.prog_id));
		J("prog_tag", json_object_new_string(li.tag));
		J("vips", json_object_new_int64(nvips));
		J("max_vips", json_object_new_int64(c.cfg.max_vips));
		J("max_backends", json_object_new_int64(c.cfg.max_backends));
		J("flows", json_object_new_int64(c.cfg.flows));
		J("ring_size", json_object_new_int64(c.cfg.ring_size));
		J("tcp_timeout", json_object_new_int64(c.cfg.tcp_timeout));
		J("udp_timeout", json_object_new_int64(c.cfg.udp_timeout));
		J("active_window", json_object_new_int64(c.cfg.active_window));
		J("flood_rate", json_object_new_int64(c.cfg.flood_rate));
		d = json_object_new_object();
		json_object_object_add(d, "running",
				       json_object_new_boolean(daemon > 0));
		json_object_object_add(d, "pid",
				       daemon ? json_object_new_int64(daemon)
					      : NULL);
		J("daemon", d);
		J("daemon_maps", json_object_new_boolean(meta));
		d = json_object_new_object();
		json_object_object_add(
			d, "checked",
			json_object_new_int64(hn.pending + hn.up + hn.down));
		json_object_object_add(d, "up", json_object_new_int64(hn.up));
		json_object_object_add(d, "down",
				       json_object_new_int64(hn.down));
		json_object_object_add(d, "pending",
				       json_object_new_int64(hn.pending));
		json_object_object_add(d, "overrides",
				       json_object_new_int64(hn.overrides));
		J("health", d);
		J("repair_pending",
		  json_object_new_int64(stale > 0 ? stale : 0));
		J("clock_hz",
		  json_object_new_int64(
			  c.cfg.ns_per_jiffy ? 1000000000U / c.cfg.ns_per_jiffy
					     : 0));
#undef J
		json_print(cli, o);
	} else {
		printf("pin dir:    %s (map ABI %u)\n", cli->pin_dir,
		       c.cfg.abi_version);
		if (li.attached)
			printf("attached:   %s (%s%s), %s mode, program %u (%s) tag %s\n",
			       ifname, mac, mac_stale ? ", stale" : "",
			       li.mode == LBXDP_MODE_GENERIC ? "generic"
							     : "native",
			       li.prog_id, li.prog_name, li.tag);
		else
			printf("attached:   no (maps pinned, nothing forwards)\n");
		printf("vips:       %zu of %u\n", nvips, c.cfg.max_vips);
		if (daemon)
			printf("daemon:     running, pid %d\n", (int)daemon);
		else
			printf("daemon:     not running\n");
		printf("health:     %u checked (%u up, %u down, %u pending), %u held by the operator\n",
		       hn.pending + hn.up + hn.down, hn.up, hn.down, hn.pending,
		       hn.overrides);
		printf("capacity:   %u backends per VIP, %u flows, Maglev ring %u\n",
		       c.cfg.max_backends, c.cfg.flows, c.cfg.ring_size);
		printf("timeouts:   tcp %us, udp %us, active window %us\n",
		       c.cfg.tcp_timeout, c.cfg.udp_timeout,
		       c.cfg.active_window);
		if (c.cfg.flood_rate)
			printf("flood:      guard at %u new flows/s per CPU\n",
			       c.cfg.flood_rate);
		else
			printf("flood:      guard off\n");
		if (c.cfg.ns_per_jiffy)
			printf("clock:      jiffies, HZ %u\n",
			       1000000000U / c.cfg.ns_per_jiffy);
		else
			printf("clock:      bpf_ktime_get_coarse_ns()\n");
	}
cleanup:
	free(vips);
	lbxdp_close(&c);
	return exit_code(err);
}
