// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* systemd's notify protocol (Type=notify), through libsystemd. */
#include <systemd/sd-daemon.h>
#include "daemon/daemon.h"

void notify_state(struct daemon *d, const char *state)
{
	/* Without $NOTIFY_SOCKET, sd_notify() does nothing. */
	sd_notify(0, state);
}
