/* Reservations. PERSISTENT RESERVE IN/OUT and RESERVE/RELEASE are not
 * implemented yet (absent from the dispatch table, so INVALID COMMAND
 * OPERATION CODE); this is where a command meets the LU's reservation
 * state before it runs, so that adding them only fills this in: look the
 * nexus up among the registrations under lu->lock, and answer RESERVATION
 * CONFLICT for what SPC-4 table 66 (5.9.1) forbids the reservation type
 * to a non-holder. */
#include "scsi/core.h"

int scsi_pr_check(struct scsi_cmd *cmd)
{
	(void)cmd;
	return 0;
}
