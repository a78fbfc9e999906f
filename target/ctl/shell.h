/* tandemctl run bare: a shell on a terminal, a batch reader otherwise. */
#ifndef TANDEM_CTL_SHELL_H
#define TANDEM_CTL_SHELL_H

#include <stdbool.h>

struct ctl_session;

int shell_run(struct ctl_session *s, bool json);
int shell_split(char *line, char **words, int max);

#endif
