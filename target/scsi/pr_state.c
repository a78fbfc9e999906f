/* A LU's persistent reservation state: registrations, who they cover, who
 * holds the reservation, iSCSI TransportIDs (SPC-4 7.6.4.6), and a
 * readable dump of it all. Pure functions on struct pr_state; the caller
 * provides the locking. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scsi/pr.h"

#define TID_ISCSI 0x5		/* protocol identifier: iSCSI */
#define TID_SEP ",i,0x"
#define TID_SEP_LEN 5
#define ISID_DIGITS 12

bool pr_type_valid(uint8_t type)
{
	switch (type) {
	case PR_TYPE_WE:
	case PR_TYPE_EA:
	case PR_TYPE_WE_RO:
	case PR_TYPE_EA_RO:
	case PR_TYPE_WE_AR:
	case PR_TYPE_EA_AR:
		return true;
	}
	return false;
}

bool pr_type_all_reg(uint8_t type)
{
	return type == PR_TYPE_WE_AR || type == PR_TYPE_EA_AR;
}

const char *pr_type_name(uint8_t type)
{
	switch (type) {
	case PR_TYPE_WE:
		return "Write Exclusive";
	case PR_TYPE_EA:
		return "Exclusive Access";
	case PR_TYPE_WE_RO:
		return "Write Exclusive - Registrants Only";
	case PR_TYPE_EA_RO:
		return "Exclusive Access - Registrants Only";
	case PR_TYPE_WE_AR:
		return "Write Exclusive - All Registrants";
	case PR_TYPE_EA_AR:
		return "Exclusive Access - All Registrants";
	}
	return "unknown type";
}

int pr_state_copy(struct pr_state *dst, const struct pr_state *src,
		  unsigned room)
{
	*dst = *src;
	dst->regs = malloc(((size_t)src->nregs + room + 1) * sizeof(*dst->regs));
	if (!dst->regs) {
		dst->nregs = 0;
		return -1;
	}
	if (src->nregs)
		memcpy(dst->regs, src->regs, src->nregs * sizeof(*dst->regs));
	return 0;
}

void pr_state_free(struct pr_state *s)
{
	free(s->regs);
	s->regs = NULL;
	s->nregs = 0;
}

void pr_state_clear(struct pr_state *s)
{
	s->nregs = 0;
	s->reserved = false;
	s->type = 0;
	s->res_tport[0] = '\0';
}

void pr_state_remove(struct pr_state *s, unsigned i)
{
	memmove(&s->regs[i], &s->regs[i + 1],
		(s->nregs - i - 1) * sizeof(s->regs[0]));
	s->nregs--;
}

bool pr_reg_matches(const struct pr_reg *r, const struct scsi_nexus *n)
{
	if (!r->all_tg_pt && strcasecmp(r->t_port, n->tport->name))
		return false;
	if (r->i_port[0])
		return !strcasecmp(r->i_port, n->i_port);
	return !strcasecmp(r->i_name, n->i_name);
}

int pr_find(const struct pr_state *s, const struct scsi_nexus *n)
{
	for (unsigned i = 0; i < s->nregs; i++)
		if (pr_reg_matches(&s->regs[i], n))
			return (int)i;
	return -1;
}

bool pr_holds(const struct pr_state *s, int i, const struct scsi_nexus *n)
{
	if (i < 0 || !s->reserved)
		return false;
	if (pr_type_all_reg(s->type))
		return true;
	return s->regs[i].holder && !strcasecmp(s->res_tport, n->tport->name);
}

/* RFC 3722: an iSCSI name is printable ASCII without blanks; the comma
 * separates it from the ISID in a TransportID, so it cannot be part of it. */
static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= SCSI_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
			return false;
	return true;
}

int pr_tid_parse(const uint8_t *p, size_t avail, struct pr_reg *r)
{
	if (avail < 24)
		return -1;
	uint8_t format = p[0] >> 6;
	size_t addl = get_be16(p + 2);
	size_t total = addl + 4;

	/* SPC-4 7.6.4.6: the ADDITIONAL LENGTH is a multiple of 4 and at
	 * least 20, and the name is NUL-terminated inside it. */
	if ((p[0] & 0x0f) != TID_ISCSI || format > 1 || addl < 20 ||
	    addl % 4 || total > avail)
		return -1;
	const char *s = (const char *)p + 4;
	size_t len = strnlen(s, addl);
	if (len == addl)
		return -1;
	if (format == 0) {
		if (!name_ok(s, len))
			return -1;
		memcpy(r->i_name, s, len);
		r->i_name[len] = '\0';
		r->i_port[0] = '\0';
		return (int)total;
	}
	/* Format 01b: name ",i,0x" ISID. The name cannot hold a comma, so
	 * the first one starts the separator. */
	const char *sep = memchr(s, ',', len);
	if (!sep)
		return -1;
	size_t nlen = (size_t)(sep - s);
	if (!name_ok(s, nlen) || len != nlen + TID_SEP_LEN + ISID_DIGITS ||
	    strncasecmp(sep, TID_SEP, TID_SEP_LEN))
		return -1;
	const char *isid = sep + TID_SEP_LEN;
	for (unsigned i = 0; i < ISID_DIGITS; i++)
		if (!isxdigit((unsigned char)isid[i]))
			return -1;
	memcpy(r->i_name, s, nlen);
	r->i_name[nlen] = '\0';
	/* The fabric spells the ISID in lowercase; so do we. */
	memcpy(r->i_port, s, nlen + TID_SEP_LEN);
	for (unsigned i = 0; i < ISID_DIGITS; i++)
		r->i_port[nlen + TID_SEP_LEN + i] = (char)tolower((unsigned char)isid[i]);
	r->i_port[nlen + TID_SEP_LEN + ISID_DIGITS] = '\0';
	memcpy(r->i_port + nlen, TID_SEP, TID_SEP_LEN);
	return (int)total;
}

size_t pr_tid_build(const struct pr_reg *r, uint8_t *out)
{
	const char *s = r->i_port[0] ? r->i_port : r->i_name;
	size_t len = strnlen(s, PR_TID_MAX - 5) + 1;
	size_t addl = (len + 3) & ~(size_t)3;

	if (addl < 20)
		addl = 20;
	memset(out, 0, 4 + addl);
	out[0] = (uint8_t)((r->i_port[0] ? 0x40 : 0x00) | TID_ISCSI);
	put_be16(out + 2, (uint16_t)addl);
	memcpy(out + 4, s, len - 1);
	return 4 + addl;
}

void pr_state_print(const struct pr_state *s, FILE *out, const char *indent)
{
	fprintf(out, "%sgeneration: %" PRIu32 "\n", indent, s->generation);
	fprintf(out, "%sAPTPL: %s\n", indent, s->aptpl ?
		"on (kept through a power loss of the whole cluster)" :
		"off (kept through failovers and restarts, dropped by a cold start)");
	if (!s->reserved)
		fprintf(out, "%sreservation: none\n", indent);
	else if (pr_type_all_reg(s->type))
		fprintf(out, "%sreservation: %s (type %u), held by every registrant\n",
			indent, pr_type_name(s->type), s->type);
	else
		fprintf(out, "%sreservation: %s (type %u), held through %s\n",
			indent, pr_type_name(s->type), s->type, s->res_tport);
	fprintf(out, "%sregistrations: %u\n", indent, s->nregs);
	for (unsigned i = 0; i < s->nregs; i++) {
		const struct pr_reg *r = &s->regs[i];
		fprintf(out, "%s  key 0x%016" PRIx64 "  %s%s  ", indent, r->key,
			r->i_port[0] ? r->i_port : r->i_name,
			r->i_port[0] ? "" : " (any ISID)");
		if (r->all_tg_pt)
			fprintf(out, "all target ports");
		else
			fprintf(out, "via %s (relative port %u)", r->t_port, r->rtpi);
		fprintf(out, "%s\n", r->holder ? "  [reservation holder]" : "");
	}
}
