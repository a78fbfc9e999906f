#include "common/bufpool.h"

#include <stdlib.h>
#include <string.h>

void bufpool_init(struct bufpool *p, unsigned keep)
{
	memset(p, 0, sizeof(*p));
	p->keep = keep;
}

void bufpool_destroy(struct bufpool *p)
{
	for (int c = 0; c < BUFPOOL_CLASSES; c++) {
		while (p->free[c]) {
			void *b = p->free[c];
			p->free[c] = *(void **)b;
			free(b);
		}
		p->nfree[c] = 0;
	}
}

static int class_of(size_t len)
{
	int c = 0;
	while (((size_t)1 << (c + BUFPOOL_MIN_SHIFT)) < len)
		c++;
	return c;
}

void *bufpool_get(struct bufpool *p, size_t len, size_t *cap)
{
	if (len == 0 || len > ((size_t)1 << BUFPOOL_MAX_SHIFT))
		return NULL;
	int c = class_of(len);
	size_t size = (size_t)1 << (c + BUFPOOL_MIN_SHIFT);
	void *b = p->free[c];
	if (b) {
		p->free[c] = *(void **)b;
		p->nfree[c]--;
	} else if (posix_memalign(&b, 4096, size) != 0) {
		return NULL;
	}
	*cap = size;
	return b;
}

void bufpool_put(struct bufpool *p, void *buf, size_t cap)
{
	if (!buf)
		return;
	int c = class_of(cap);
	if (p->nfree[c] >= p->keep) {
		free(buf);
		return;
	}
	*(void **)buf = p->free[c];
	p->free[c] = buf;
	p->nfree[c]++;
}
