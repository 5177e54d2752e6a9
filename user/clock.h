/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Wall-clock time, for people and for the other LB: check results' times,
 * flow sync's sequence. The program's clock is lbxdp_now_ns() (maps.h). */
#ifndef LBXDP_CLOCK_H
#define LBXDP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME in us since the epoch. */
static inline uint64_t lbxdp_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* CLOCK_REALTIME in ms since the epoch. */
static inline uint64_t lbxdp_realtime_ms(void)
{
	return lbxdp_realtime_us() / 1000;
}

#endif /* LBXDP_CLOCK_H */
