/* `tandemd pr`: the persistent reservation store of a storage object, read
 * or reset from the command line (docs/persistent-reservations.md). */
#ifndef TANDEM_DAEMON_PR_CMD_H
#define TANDEM_DAEMON_PR_CMD_H

/* argv[0] is "pr"; returns the process exit status. */
int pr_cmd_main(int argc, char **argv, const char *default_config);

#endif
