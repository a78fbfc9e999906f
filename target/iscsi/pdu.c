#include "iscsi/pdu.h"

bool iscsi_lun_decode(const uint8_t *field, uint64_t *lun)
{
	switch (field[0] >> 6) {
	case 0:	/* peripheral device addressing, bus 0 */
		if (field[0] & 0x3f)
			return false;
		*lun = field[1];
		return true;
	case 1:	/* flat space addressing */
		*lun = (uint64_t)(field[0] & 0x3f) << 8 | field[1];
		return true;
	default:
		return false;
	}
}

void iscsi_lun_encode(uint64_t lun, uint8_t *field)
{
	for (int i = 0; i < 8; i++)
		field[i] = 0;
	if (lun < 256) {
		field[1] = (uint8_t)lun;
	} else {
		field[0] = (uint8_t)(0x40 | ((lun >> 8) & 0x3f));
		field[1] = (uint8_t)lun;
	}
}

int iscsi_bhs_check(const uint8_t *bhs, uint32_t max_dsl, const char **why)
{
	switch (bhs_opcode(bhs)) {
	case ISCSI_OP_NOOP_OUT:
	case ISCSI_OP_SCSI_CMD:
	case ISCSI_OP_TMF_REQ:
	case ISCSI_OP_LOGIN_REQ:
	case ISCSI_OP_TEXT_REQ:
	case ISCSI_OP_DATA_OUT:
	case ISCSI_OP_LOGOUT_REQ:
	case ISCSI_OP_SNACK:
		break;
	default:
		*why = "opcode not defined for an initiator";
		return ISCSI_REJECT_CMD_NOT_SUPPORTED;
	}
	if (bhs_dsl(bhs) > max_dsl) {
		*why = "data segment longer than MaxRecvDataSegmentLength";
		return ISCSI_REJECT_PROTOCOL_ERROR;
	}
	/* Only SCSI commands carry AHS (extended CDB, bidi read length). */
	if (bhs_ahs_len(bhs) && bhs_opcode(bhs) != ISCSI_OP_SCSI_CMD) {
		*why = "AHS on a PDU that has none";
		return ISCSI_REJECT_PROTOCOL_ERROR;
	}
	return 0;
}

const char *iscsi_opcode_name(uint8_t op)
{
	switch (op & ISCSI_OP_MASK) {
	case ISCSI_OP_NOOP_OUT: return "NOP-Out";
	case ISCSI_OP_SCSI_CMD: return "SCSI Command";
	case ISCSI_OP_TMF_REQ: return "Task Management";
	case ISCSI_OP_LOGIN_REQ: return "Login";
	case ISCSI_OP_TEXT_REQ: return "Text";
	case ISCSI_OP_DATA_OUT: return "Data-Out";
	case ISCSI_OP_LOGOUT_REQ: return "Logout";
	case ISCSI_OP_SNACK: return "SNACK";
	case ISCSI_OP_NOOP_IN: return "NOP-In";
	case ISCSI_OP_SCSI_RSP: return "SCSI Response";
	case ISCSI_OP_TMF_RSP: return "Task Management Response";
	case ISCSI_OP_LOGIN_RSP: return "Login Response";
	case ISCSI_OP_TEXT_RSP: return "Text Response";
	case ISCSI_OP_DATA_IN: return "Data-In";
	case ISCSI_OP_LOGOUT_RSP: return "Logout Response";
	case ISCSI_OP_R2T: return "R2T";
	case ISCSI_OP_ASYNC: return "Async Message";
	case ISCSI_OP_REJECT: return "Reject";
	default: return "unknown";
	}
}
