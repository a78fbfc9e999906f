/* The target's CPU time from /proc/PID/stat: utime and stime there are
 * the whole thread group's (live threads and those already gone), in clock
 * ticks. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double proc_cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long utime, stime;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields start
	 * after the last ')'. utime and stime are fields 14 and 15, the 12th
	 * and 13th after it. */
	p = strrchr(buf, ')');
	if (!p || hz <= 0) {
		errno = EINVAL;
		return -1;
	}
	p++;
	for (int field = 3; field < 14; field++) {
		p = strchr(p + 1, ' ');
		if (!p) {
			errno = EINVAL;
			return -1;
		}
	}
	errno = 0;
	utime = strtoull(p, &end, 10);
	if (end == p || errno)
		return -1;
	p = end;
	stime = strtoull(p, &end, 10);
	if (end == p || errno) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return (double)(utime + stime) / (double)hz;
}
