/* devnet.c — a development chain's cheat calls and the simulated TEE's
 * registered measurement (devnet.h). */
#include "client/devnet.h"

#include <string.h>

#include "evidence/measure.h"
#include "evidence/snp_report.h"

clo_err clo_devnet_fund(clo_rpc *rpc, const uint8_t addr[20], const uint8_t wei[32])
{
    json_t *res;
    CLO_TRY(clo_rpc_call(
        rpc, "anvil_setBalance",
        json_pack("[o,o]", clo_json_hex(CLO_BYTES(addr, 20)), clo_rpc_hex_quantity256(wei)), &res));
    json_decref(res);
    return CLO_OK;
}

clo_err clo_devnet_advance(clo_rpc *rpc, uint64_t seconds)
{
    json_t *res;
    CLO_TRY(clo_rpc_call(rpc, "evm_increaseTime", json_pack("[I]", (json_int_t)seconds), &res));
    json_decref(res);
    CLO_TRY(clo_rpc_call(rpc, "evm_mine", json_pack("[]"), &res));
    json_decref(res);
    return CLO_OK;
}

clo_err clo_devnet_sim_measurement(const uint8_t rtmr3[48], uint8_t out[32])
{
    uint8_t mrtd[48], rtmr[4][48];
    memset(rtmr, 0, sizeof rtmr);
    memcpy(rtmr[CLO_MEASURE_RTMR], rtmr3, 48);
    CLO_TRY(clo_measure_sim_mrtd(mrtd));
    clo_measure_registered_tdx(mrtd, (const uint8_t(*)[48])rtmr, 1u << CLO_MEASURE_RTMR, out);
    return CLO_OK;
}

clo_err clo_devnet_snp_measurement(clo_bytes report, uint8_t out[32])
{
    clo_snp_report r;
    CLO_TRY(clo_snp_report_parse(report, &r));
    clo_measure_registered_snp(r.measurement, r.host_data, out);
    return CLO_OK;
}
