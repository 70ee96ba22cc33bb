/* approval.h — EnclaveApproval (evidence/approval.h) as calldata and as the
 * JSON a verifier service returns. */
#ifndef CLO_CLIENT_APPROVAL_H
#define CLO_CLIENT_APPROVAL_H

#include <jansson.h>

#include "base/teekind.h" /* tee_type */
#include "chain/abi.h"
#include "evidence/approval.h"

/* The 8 tuple members, into items[8] (views into a). */
clo_abi_val clo_approval_abi(const clo_approval *a, clo_abi_val items[8]);
/* JSON form {operator, teeType, measurement, signer, hpkeKey, epoch, expiry,
 * evidenceDigest} with 0x-hex fields; from_json is strict and names the field. */
json_t *clo_approval_to_json(const clo_approval *a);
CLO_MUST_CHECK clo_err clo_approval_from_json(const json_t *j, clo_approval *out);

#endif
