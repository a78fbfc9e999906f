/* Shell completion (complete.c). */
#ifndef TANDEM_CTL_COMPLETE_H
#define TANDEM_CTL_COMPLETE_H

#include <stddef.h>

#include <jansson.h>

#include "ctl/tree.h"

/* Candidates for the word that ends at line[point], each a whole
 * replacement for that word (with a trailing ' ', '/' or '=' where the
 * next thing is clear), sorted. cwd is the shell's current path. */
int complete_line(json_t *cfg, const char *cwd, const char *line, size_t point,
		  struct names *out);

#endif
