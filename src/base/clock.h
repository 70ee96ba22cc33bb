/* clock.h — the one place the host's code reads its clocks. Wall time is the
 * host's word only: nothing trusted is decided by it (docs/threat-model.md). */
#ifndef CLO_BASE_CLOCK_H
#define CLO_BASE_CLOCK_H

#include <stdint.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t clo_now_ms(void);
/* A monotonic clock for deadlines and durations, in milliseconds and nanoseconds. */
int64_t clo_mono_ms(void);
int64_t clo_mono_ns(void);

#endif
