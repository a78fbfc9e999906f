/* Error messages for the callers' err buffers: every layer reports what
 * failed and why into a buffer its caller owns. */
#ifndef TANDEM_COMMON_ERRF_H
#define TANDEM_COMMON_ERRF_H

#include <stddef.h>

/* snprintf into err; does nothing when err is NULL or errlen is 0. */
void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
