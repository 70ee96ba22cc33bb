/* measure.c — launch events, RTMR extension and registered measurements. */
#include "evidence/measure.h"

#include <stdio.h>
#include <string.h>

#include "base/file.h"

#include "crypto/hash.h"
#include "crypto/keccak.h"

/* SHA-384 or SHA-256 of a domain string followed by one value. */
static clo_err tagged(clo_hash_alg alg, const char *domain, clo_bytes v, uint8_t *out)
{
    clo_hash_ctx h;
    CLO_TRY(clo_hash_init(&h, alg));
    clo_err err = clo_hash_update(&h, clo_bytes_str(domain));
    if (!err.code) err = clo_hash_update(&h, v);
    if (err.code) {
        clo_hash_wipe(&h);
        return err;
    }
    return clo_hash_final(&h, out);
}

clo_err clo_measure_exe_event(const uint8_t exe_sha384[48], uint8_t event[48])
{
    return tagged(CLO_HASH_SHA384, "cloister/rtmr3/executable/v1", CLO_BYTES(exe_sha384, 48),
                  event);
}

clo_err clo_measure_config_event(uint64_t chain_id, const uint8_t market[20],
                                 const uint8_t registry[20], const uint8_t committee_hash[32],
                                 uint8_t event[48])
{
    uint8_t v[8 + 20 + 20 + 32];
    clo_store_u64be(v, chain_id);
    memcpy(v + 8, market, 20);
    memcpy(v + 28, registry, 20);
    memcpy(v + 48, committee_hash, 32);
    return tagged(CLO_HASH_SHA384, "cloister/rtmr3/config/v1", CLO_BYTES(v, sizeof v), event);
}

clo_err clo_rtmr_extend(uint8_t rtmr[48], const uint8_t event[48])
{
    uint8_t v[96];
    memcpy(v, rtmr, 48);
    memcpy(v + 48, event, 48);
    return clo_hash(CLO_HASH_SHA384, CLO_BYTES(v, 96), rtmr);
}

clo_err clo_measure_rtmr3(const uint8_t exe_event[48], const uint8_t config_event[48],
                          uint8_t out[48])
{
    memset(out, 0, 48);
    CLO_TRY(clo_rtmr_extend(out, exe_event));
    return clo_rtmr_extend(out, config_event);
}

clo_err clo_measure_snp_host_data(const uint8_t config_event[48], uint8_t out[32])
{
    return tagged(CLO_HASH_SHA256, "cloister/snp/host_data/v1", CLO_BYTES(config_event, 48), out);
}

clo_err clo_measure_sim_mrtd(uint8_t out[48])
{
    return clo_hash(CLO_HASH_SHA384, clo_bytes_str("cloister/sim/mrtd/v1"), out);
}

void clo_measure_registered_tdx(const uint8_t mrtd[48], const uint8_t rtmr[4][48],
                                unsigned rtmr_pins, uint8_t out[32])
{
    uint8_t v[5 * 48];
    size_t n = 48;
    memcpy(v, mrtd, 48);
    for (int i = 0; i < 4; i++)
        if (rtmr_pins & (1u << i)) {
            memcpy(v + n, rtmr[i], 48);
            n += 48;
        }
    clo_keccak256(CLO_BYTES(v, n), out);
}

void clo_measure_registered_snp(const uint8_t measurement[48], const uint8_t host_data[32],
                                uint8_t out[32])
{
    uint8_t v[80];
    memcpy(v, measurement, 48);
    memcpy(v + 48, host_data, 32);
    clo_keccak256(CLO_BYTES(v, 80), out);
}

clo_err clo_measure_rtmr_extend_at(int mrfd, const uint8_t event[48])
{
    char name[16];
    snprintf(name, sizeof name, "rtmr%d:sha384", CLO_MEASURE_RTMR);
    return clo_file_write_at(mrfd, name, CLO_BYTES(event, 48));
}
