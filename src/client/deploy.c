/* deploy.c — Cloister's contracts deployed and wired, and the deployment
 * document read back (deploy.h). */
#include "client/deploy.h"

#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "base/teekind.h"
#include "chain/deploy.h"
#include "crypto/keccak.h"
#include "workloads/workload.h"

/* Median of the latest reports, at least 3 sources, outliers beyond 5% of the
 * median dropped. */
const uint8_t CLO_ORACLE_CONFIG[12] = {1, 1, 0, 3, 0, 0, 0x01, 0xf4, 0, 0, 0, 0};

clo_err clo_deployer_create(clo_deployer *d, const char *name, const clo_abi_val *args,
                            uint8_t out[20])
{
    clo_buf code, revert;
    clo_eth_receipt rc = {0}; /* freed on every path */
    clo_buf_init(&code, CLO_ARTIFACT_MAX_SIZE);
    clo_buf_init(&revert, 4096);
    clo_err err = clo_artifact_bytecode(d->artifacts, name, &code);
    if (err.code)
        snprintf(d->why, sizeof d->why, "artifact %s/%s.sol/%s.json", d->artifacts, name, name);
    if (!err.code) err = clo_deploy(&d->s, clo_buf_view(&code), args, out, &rc, &revert);
    if (err.code && !d->why[0]) {
        char reason[160];
        clo_abi_revert_text(clo_buf_view(&revert), clo_contract_errors, reason, sizeof reason);
        snprintf(d->why, sizeof d->why, "deploying %s: %s", name,
                 revert.len ? reason : (err.what ? err.what : "failed"));
    }
    if (!err.code) {
        json_t *c = json_object();
        json_object_set_new(c, "address", clo_json_hex(CLO_BYTES(out, 20)));
        json_object_set_new(c, "tx", clo_json_hex(CLO_BYTES(rc.tx_hash, 32)));
        json_object_set_new(c, "block", json_integer((json_int_t)rc.block_number));
        json_object_set_new(c, "gas_used", json_integer((json_int_t)rc.gas_used));
        json_object_set_new(d->contracts, name, c);
        if (d->progress) d->progress(name, out, rc.gas_used);
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&code);
    clo_buf_free(&revert);
    return err;
}

clo_err clo_deployer_call(clo_deployer *d, const uint8_t to[20], const char *sig,
                          const clo_abi_val *args)
{
    clo_call_result r;
    clo_err err = clo_call_send(&d->s, to, NULL, sig, args, &r);
    if (err.code) snprintf(d->why, sizeof d->why, "%s", r.why);
    return err;
}

clo_err clo_deployer_allow_measurement(clo_deployer *d, const uint8_t registry[20],
                                       const char *workload, const uint8_t measurement[32])
{
    uint8_t wid[32];
    clo_workload_id(workload, wid);
    clo_abi_val a[3] = {clo_abi_word(wid), clo_abi_word(measurement), clo_abi_bool(1)};
    clo_abi_val t = clo_abi_tuple(a, 3);
    return clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_MEASUREMENT, &t);
}

clo_err clo_deployer_allow_tee(clo_deployer *d, const uint8_t registry[20], uint8_t tee,
                               int *changed)
{
    clo_abi_val a = clo_abi_uint(tee), args = clo_abi_tuple(&a, 1), out;
    uint64_t allowed = 0;
    *changed = 0;
    CLO_TRY(clo_eth_view(d->s.rpc, registry, CLO_ENCLAVE_REGISTRY_TEE_ALLOWED, &args,
                         CLO_ENCLAVE_REGISTRY_TEE_ALLOWED_RET, &out));
    clo_err err = clo_abi_get_u64(&out.items[0], &allowed);
    clo_abi_val_free(&out);
    CLO_TRY(err);
    if (allowed) return CLO_OK;
    clo_abi_val t[2] = {clo_abi_uint(tee), clo_abi_bool(1)};
    clo_abi_val tt = clo_abi_tuple(t, 2);
    CLO_TRY(clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_TEE_ALLOWED, &tt));
    *changed = 1;
    return CLO_OK;
}

clo_err clo_deploy_cloister(clo_deployer *d, const clo_deploy_plan *p, const char *rpc_url,
                            json_t **out)
{
    uint8_t registry[20], market[20], auction[20], feed[20], models[20], oracle_model[32];
    clo_err err = CLO_OK;
    CLO_ENSURE(p->verifier_count >= 1 && p->verifier_count <= CLO_DEPLOY_MAX_VERIFIERS, CLO_E_ARG,
               "deploy.verifiers");
    int governs = !memcmp(p->owner, d->s.address, 20);
    json_t *tees = json_array(), *allowed = json_array(), *committee = json_array();
    d->contracts = json_object();
    d->why[0] = 0;

    clo_abi_val verifiers[CLO_DEPLOY_MAX_VERIFIERS];
    for (size_t i = 0; i < p->verifier_count; i++) {
        verifiers[i] = clo_abi_address(p->verifiers[i]);
        json_array_append_new(committee, clo_json_hex(CLO_BYTES(p->verifiers[i], 20)));
    }
    clo_abi_val reg_args[6] = {
        clo_abi_address(p->owner),        clo_abi_array(verifiers, p->verifier_count),
        clo_abi_uint(p->threshold),       clo_abi_uint(p->bond_wei),
        clo_abi_uint(p->record_lifetime), clo_abi_uint(p->rotation_grace)};
    clo_abi_val t = clo_abi_tuple(reg_args, 6);
    CLO_CHECK(clo_deployer_create(d, "EnclaveRegistry", &t, registry));
    clo_abi_val mk_args[3] = {clo_abi_address(registry), clo_abi_uint(p->challenge_window),
                              clo_abi_uint(p->max_deadline)};
    t = clo_abi_tuple(mk_args, 3);
    CLO_CHECK(clo_deployer_create(d, "JobMarket", &t, market));
    clo_abi_val one[1] = {clo_abi_address(market)};
    if (governs) {
        t = clo_abi_tuple(one, 1);
        CLO_CHECK(clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_MARKET, &t));
        for (unsigned k = CLO_TEE_FIRST; k <= CLO_TEE_LAST; k++) {
            if (!(p->tee_mask & (1u << k))) continue;
            clo_abi_val tee[2] = {clo_abi_uint(k), clo_abi_bool(1)};
            t = clo_abi_tuple(tee, 2);
            CLO_CHECK(clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_TEE_ALLOWED, &t));
            json_array_append_new(tees, json_string(clo_tee_kind_name(k)));
        }
        for (size_t m = 0; m < p->measurement_count; m++) {
            for (size_t i = 0; i < clo_workload_count(); i++)
                CLO_CHECK(clo_deployer_allow_measurement(d, registry, clo_workload_at(i)->name,
                                                         p->measurements[m]));
            json_array_append_new(allowed, clo_json_hex(CLO_BYTES(p->measurements[m], 32)));
        }
    }
    t = clo_abi_tuple(one, 1);
    CLO_CHECK(clo_deployer_create(d, "SealedBidAuction", &t, auction));
    clo_keccak256(CLO_BYTES(CLO_ORACLE_CONFIG, sizeof CLO_ORACLE_CONFIG), oracle_model);
    clo_abi_val pf[5] = {clo_abi_address(market), clo_abi_address(d->s.address),
                         clo_abi_word(oracle_model), clo_abi_uint(8),
                         clo_abi_string("CLO / USD (enclave median)")};
    t = clo_abi_tuple(pf, 5);
    CLO_CHECK(clo_deployer_create(d, "PriceFeed", &t, feed));
    clo_abi_val upd[2] = {clo_abi_address(p->owner), clo_abi_bool(1)};
    t = clo_abi_tuple(upd, 2);
    CLO_CHECK(clo_deployer_call(d, feed, CLO_PRICE_FEED_SET_UPDATER, &t));
    t = clo_abi_tuple(NULL, 0);
    CLO_CHECK(clo_deployer_create(d, "ModelRegistry", &t, models));

    json_t *doc =
        json_pack("{s:I, s:s, s:o, s:{s:o, s:I}, s:o, s:o, s:b, s:o, s:o}", "chain_id",
                  (json_int_t)d->s.chain_id, "rpc", rpc_url, "contracts", d->contracts, "committee",
                  "verifiers", committee, "threshold", (json_int_t)p->threshold, "owner",
                  clo_json_hex(CLO_BYTES(p->owner, 20)), "deployer",
                  clo_json_hex(CLO_BYTES(d->s.address, 20)), "wired", governs, "tee_types", tees,
                  "measurements", allowed);
    json_object_set_new(doc, "oracle_config",
                        clo_json_hex(CLO_BYTES(CLO_ORACLE_CONFIG, sizeof CLO_ORACLE_CONFIG)));
    d->contracts = NULL;
    *out = doc;
    return CLO_OK;
out:
    json_decref(tees);
    json_decref(allowed);
    json_decref(committee);
    json_decref(d->contracts);
    d->contracts = NULL;
    if (!d->why[0]) snprintf(d->why, sizeof d->why, "deployment failed");
    return err;
}

clo_err clo_deployment_contract(const json_t *doc, const char *name, uint8_t out[20])
{
    const char *a = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "contracts"), name), "address"));
    CLO_ENSURE(a && !clo_hex_decode_fixed(out, 20, a).code, CLO_E_FORMAT, "deployment.contracts");
    return CLO_OK;
}

clo_err clo_deployment_parse(clo_bytes text, clo_deployment *d)
{
    memset(d, 0, sizeof *d);
    json_t *j = json_loadb((const char *)text.ptr, text.len, 0, NULL);
    const char *rpc = json_string_value(json_object_get(j, "rpc"));
    json_int_t chain = json_integer_value(json_object_get(j, "chain_id"));
    int bad = !j || chain <= 0 || clo_deployment_contract(j, "EnclaveRegistry", d->registry).code ||
              clo_deployment_contract(j, "JobMarket", d->market).code ||
              (rpc && (size_t)snprintf(d->rpc, sizeof d->rpc, "%s", rpc) >= sizeof d->rpc);
    d->chain_id = (uint64_t)chain;
    json_decref(j);
    CLO_ENSURE(!bad, CLO_E_FORMAT, "deployment");
    return CLO_OK;
}
