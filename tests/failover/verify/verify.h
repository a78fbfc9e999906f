/* The verify phase: reads the whole span back and holds every block
 * against the state; then settles the uncertain blocks whose content it
 * found whole, so that a later write phase starts from the truth. */
#ifndef VERIFY_VERIFY_H
#define VERIFY_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "check.h"
#include "state.h"

struct verify_result {
	uint64_t blocks, written;	/* in the span; acknowledged and certain */
	uint64_t count[V_COUNT];
	uint64_t read_errors;		/* blocks that could not be read */
	bool pass;
};

int verify_phase(struct backend *b, struct state *st, struct verify_result *res,
		 char *err, size_t errlen);

#endif
