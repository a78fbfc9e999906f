#include "backend.h"

#include <string.h>

struct backend *backend_open(const char *dev, const char *initiator, bool writable,
			     char *err, size_t errlen)
{
	if (!strncmp(dev, "iscsi://", 8))
		return iscsi_open(dev, initiator, err, errlen);
	return path_open(dev, writable, err, errlen);
}
