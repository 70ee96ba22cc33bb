/* demo_flows.c — the demo's three flows over the running stack (cmd_demo.c):
 * a sealed-bid auction, an enclave-signed price round, and confidential
 * diagnosis on a trained model. Each composes client calls: seal to the
 * registered key, submit on chain, wait for settlement, open one's own answer. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/ct.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "cli/demo.h"
#include "client/calls.h"
#include "client/contracts.h"
#include "client/deploy.h"
#include "client/devnet.h"
#include "client/outputs.h"
#include "client/seal.h"
#include "model/train.h"

int demo_auction(demo *d, clo_sender *seller)
{
    static const uint64_t amounts[BIDDERS] = {3, 7, 5}; /* ether */
    char detail[300];
    /* Second price, reserve 0. Nobody hands the node this config: create()
     * publishes it (WorkloadConfig) and the node's follower takes it. */
    uint8_t config[34] = {1, 2};
    uint64_t now = 0, id = 0;
    const uint64_t deposit = 10000000000000000000u; /* a uniform 10 ether bid deposit */
    clo_call_result r;
    if (demo_chain_now(d, &now).code) return -1;
    int ok = !demo_sent(d,
                        clo_auction_create(seller, d->auction, CLO_BYTES(config, sizeof config),
                                           now + 30, now + 3600, deposit,
                                           1000000000000000u /* 0.001 ether for the job */, &r),
                        &r, "auction create")
                  .code &&
             !clo_auction_count(d->rpc, d->auction, &id).code;
    uint8_t job[32];
    demo_job_id_for(d, d->auction, id, job);
    memcpy(d->auction_job, "0x", 2);
    clo_hex_encode(d->auction_job + 2, CLO_BYTES(job, 32));
    snprintf(detail, sizeof detail, "auction #%llu, job 0x%02x%02x%02x%02x…, bidding for 30 s",
             (unsigned long long)id, job[0], job[1], job[2], job[3]);
    demo_step(d, "seller opens a second-price auction", ok, detail);
    if (!ok) return -1;

    clo_sender bidders[BIDDERS];
    clo_envelope_reply_key rk[BIDDERS];
    memset(bidders, 0, sizeof bidders);
    for (int i = 0; i < BIDDERS && ok; i++) {
        uint8_t amount[32] = {0};
        clo_buf env, bid;
        clo_buf_init(&env, 1 << 16);
        clo_buf_init(&bid, 64);
        ok = !demo_new_wallet(d, &bidders[i]).code;
        clo_store_u64be(amount + 24, amounts[i] * 1000000000000000000u);
        ok = ok && !clo_auction_bid_encode(bidders[i].address, amount, &bid).code;
        ok = ok && !demo_seal(d, job, "auction", clo_buf_view(&bid), &env, &rk[i]).code;
        clo_buf_free(&bid); /* wipes the plaintext bid */
        ok = ok &&
             !demo_sent(
                  d, clo_auction_bid(&bidders[i], d->auction, id, clo_buf_view(&env), deposit, &r),
                  &r, i == 0 ? "auction bid (sealed, 10 ETH deposit)" : NULL)
                  .code;
        clo_buf_free(&env);
    }
    demo_step(
        d, "3 bidders seal bids to the enclave and bid", ok,
        "bids of 3, 7 and 5 ETH, HPKE-sealed client-side; the chain sees ciphertext and a uniform "
        "10 ETH deposit each");
    ok = ok && !clo_devnet_advance(d->rpc, 31).code;
    ok = ok &&
         !demo_sent(d, clo_auction_submit(seller, d->auction, id, &r), &r, "auction submit (job)")
              .code;
    outcome oc;
    memset(&oc, 0, sizeof oc);
    ok = ok && !demo_wait_settled(d, job, &oc).code;
    if (ok) demo_gas(d, "settle (auction, with consumer callback)", oc.gas);
    json_t *dec = ok ? cli_decode_public("auction", clo_buf_view(&oc.pub)) : NULL;
    snprintf(detail, sizeof detail, "no decodable outcome");
    if (dec && json_is_integer(json_object_get(dec, "price")))
        snprintf(
            detail, sizeof detail, "%.0f ms after submission; bidder %lld wins, pays %lld ETH",
            oc.ms, (long long)json_integer_value(json_object_get(dec, "winner_index")),
            (long long)(json_integer_value(json_object_get(dec, "price")) / 1000000000000000000LL));
    int won = dec && json_integer_value(json_object_get(dec, "winner_index")) == 1;
    demo_step(d, "node runs the job, settles it on chain", ok && won, detail);
    json_decref(dec);
    /* Each bidder opens its own reply, and only its own. */
    int own = ok && oc.npriv == BIDDERS, others = 0;
    for (int i = 0; i < BIDDERS && own; i++) {
        clo_buf pt;
        clo_buf_init(&pt, 1 << 10);
        own = !clo_envelope_reply_open(&pt, &rk[i], clo_buf_view(&oc.priv[i])).code &&
              pt.len >= 2 && pt.ptr[1] == (i == 1);
        clo_buf_clear(&pt);
        others +=
            !clo_envelope_reply_open(&pt, &rk[i], clo_buf_view(&oc.priv[(i + 1) % BIDDERS])).code;
        clo_buf_free(&pt);
    }
    demo_step(d, "each bidder opens its own result only", own && others == 0,
              "winner reads 'won at 5 ETH', losers 'lost'; no key opens another bidder's reply");
    for (int i = 0; i < BIDDERS; i++) {
        clo_envelope_reply_key_wipe(&rk[i]);
        clo_sender_wipe(&bidders[i]);
    }
    demo_outcome_free(&oc);
    return ok && own && others == 0 ? 0 : -1;
}

int demo_price(demo *d, clo_sender *updater)
{
    static const int64_t prices[SOURCES] = {200000000, 202000000, 199000000}; /* 8 decimals */
    char detail[300];
    const char *cfg = json_string_value(json_object_get(d->dep, "oracle_config"));
    clo_buf config, envs[SOURCES];
    clo_buf_init(&config, 64);
    if (!cfg || clo_hex_decode(&config, cfg).code || demo_post_model(d, cfg + 2)) {
        demo_step(d, "3 hidden sources report a price", 0, "no oracle config in the deployment");
        clo_buf_free(&config);
        return -1;
    }
    uint64_t nonce = (uint64_t)time(NULL) * 1000000u + (uint64_t)getpid() % 1000000u, now = 0;
    uint8_t job[32], model[32];
    demo_job_id_for(d, updater->address, nonce, job);
    clo_config_hash(clo_buf_view(&config), model);
    int ok = !demo_chain_now(d, &now).code;
    clo_bytes views[SOURCES];
    for (int i = 0; i < SOURCES && ok; i++) {
        clo_envelope_reply_key rk;
        uint8_t source[20];
        clo_oracle_obs obs = {now, prices[i]};
        clo_buf rep;
        memset(source, 0x51 + i, 20); /* the source's id */
        clo_buf_init(&rep, 64);
        clo_buf_init(&envs[i], 1 << 16);
        ok = !clo_oracle_report_encode(source, &obs, 1, &rep).code &&
             !demo_seal(d, job, "oracle", clo_buf_view(&rep), &envs[i], &rk).code;
        clo_buf_free(&rep);
        clo_envelope_reply_key_wipe(&rk);
        views[i] = clo_buf_view(&envs[i]);
    }
    demo_step(d, "3 hidden sources report a price", ok,
              "2.00, 2.02 and 1.99 USD, each sealed to the enclave");
    ok = ok && !demo_submit_job(d, updater, "oracle", model, d->feed, now + 3600, nonce, views,
                                SOURCES, "submitJob (oracle, 3 sealed inputs)")
                    .code;
    outcome oc;
    memset(&oc, 0, sizeof oc);
    ok = ok && !demo_wait_settled(d, job, &oc).code;
    if (ok) demo_gas(d, "settle (oracle, PriceFeed round)", oc.gas);
    int64_t answer = 0;
    uint64_t round = 0;
    if (ok && clo_feed_latest(d->rpc, d->feed, &round, &answer).code) answer = 0;
    snprintf(detail, sizeof detail,
             "round %llu: %lld.%08lld USD (the median), %.0f ms after submission",
             (unsigned long long)round, (long long)(answer / 100000000),
             (long long)(answer % 100000000), oc.ms);
    demo_step(d, "enclave-signed median lands in the PriceFeed",
              ok && answer == prices[2] + 1000000, detail);
    for (int i = 0; i < SOURCES; i++) clo_buf_free(&envs[i]);
    demo_outcome_free(&oc);
    clo_buf_free(&config);
    return ok ? 0 : -1;
}

/* ---- the price feed from HTTPS sources the enclave fetches itself ---- */

/* A PriceFeed for this config, its updater allowed: sent from the updater's
 * own sender (the devnet's governance key), so its nonces stay in step. */
static clo_err deploy_feed(demo *d, clo_sender *updater, const uint8_t config_hash[32],
                           uint8_t feed[20])
{
    static char artifacts[CLI_PATH_CAP];
    clo_deployer dep;
    memset(&dep, 0, sizeof dep);
    if (cli_find_share("contracts", NULL, "CLOISTER_CONTRACTS", artifacts))
        return CLO_ERR(CLO_E_IO, "contract artifacts");
    dep.s = *updater;
    dep.artifacts = artifacts;
    clo_abi_val pf[5] = {clo_abi_address(d->market), clo_abi_address(updater->address),
                         clo_abi_word(config_hash), clo_abi_uint(8),
                         clo_abi_string("CLO / USD (enclave-fetched HTTPS median)")};
    clo_abi_val t = clo_abi_tuple(pf, 5);
    clo_err e = clo_deployer_create(&dep, "PriceFeed", &t, feed);
    clo_abi_val upd[2] = {clo_abi_address(updater->address), clo_abi_bool(1)};
    t = clo_abi_tuple(upd, 2);
    if (!e.code) e = clo_deployer_call(&dep, feed, CLO_PRICE_FEED_SET_UPDATER, &t);
    updater->next_nonce = dep.s.next_nonce;
    clo_wipe(&dep.s, sizeof dep.s);
    json_decref(dep.contracts);
    return e;
}

static void short_hex(char out[16], const uint8_t *b)
{
    char h[9];
    clo_hex_encode(h, CLO_BYTES(b, 4));
    snprintf(out, 16, "0x%s…", h);
}

int demo_price_https(demo *d, clo_sender *updater)
{
    char path[1200], detail[900], hex[2 * CLO_WL_MAX_CONFIG + 1];
    clo_buf config, env, input;
    clo_buf_init(&config, CLO_WL_MAX_CONFIG);
    clo_buf_init(&env, 1 << 16);
    clo_buf_init(&input, 1 << 16);
    snprintf(path, sizeof path, "%s/sources.json", d->sources_dir);
    uint8_t model[32], feed[20], job[32];
    int ok = !cli_oracle_sources(path, &config, &input);
    if (ok) {
        clo_hex_encode(hex, clo_buf_view(&config));
        clo_config_hash(clo_buf_view(&config), model);
    }
    ok = ok && !demo_post_model(d, hex) && !deploy_feed(d, updater, model, feed).code;
    snprintf(detail, sizeof detail,
             "its config (3 URLs, JSON paths, the APIs' CA) on chain as configHash; a PriceFeed "
             "bound to it");
    demo_step(d, "oracle-https: sources named, feed deployed", ok, detail);
    uint64_t nonce = (uint64_t)time(NULL) * 1000000u + (uint64_t)getpid() % 1000000u + 7, now = 0;
    demo_job_id_for(d, updater->address, nonce, job);
    ok = ok && !demo_chain_now(d, &now).code;
    clo_envelope_reply_key rk;
    ok = ok && !demo_seal(d, job, "oracle-https", clo_buf_view(&input), &env, &rk).code;
    if (ok) clo_envelope_reply_key_wipe(&rk);
    clo_bytes view = clo_buf_view(&env);
    ok = ok && !demo_submit_job(d, updater, "oracle-https", model, feed, now + 3600, nonce, &view,
                                1, "submitJob (oracle-https)")
                    .code;
    outcome oc;
    memset(&oc, 0, sizeof oc);
    ok = ok && !demo_wait_settled(d, job, &oc).code;
    if (ok) demo_gas(d, "settle (oracle-https, 3 fetched sources)", oc.gas);
    static clo_oracle_https_public o;
    ok = ok && !clo_oracle_https_public_decode(clo_buf_view(&oc.pub), &o).code && o.used == 3;
    size_t at = 0;
    for (size_t i = 0; ok && i < o.count && at < sizeof detail; i++) {
        char k[16], b[16];
        short_hex(k, o.src[i].spki_sha256);
        short_hex(b, o.src[i].body_sha256);
        at +=
            (size_t)snprintf(detail + at, sizeof detail - at, "%s%s: TLS 1.%d, key %s, body %s",
                             i ? "; " : "", o.src[i].host, (o.src[i].tls_version & 0xff) - 1, k, b);
    }
    demo_step(d, "the enclave fetched each API over TLS; the host carried ciphertext", ok,
              ok ? detail : "no settled result with three used sources");
    int64_t answer = 0;
    uint64_t round = 0;
    if (ok && clo_feed_latest(d->rpc, feed, &round, &answer).code) answer = 0;
    snprintf(detail, sizeof detail,
             "round %llu: %lld.%08lld USD (median of 2.00, 2.02, 1.99), certificates valid "
             "%llu..%llu, %.0f ms after submission",
             (unsigned long long)round, (long long)(answer / 100000000),
             (long long)(answer % 100000000), (unsigned long long)o.valid_from,
             (unsigned long long)o.valid_until, oc.ms);
    demo_step(d, "the median lands in its PriceFeed", ok && answer == 200000000, detail);
    /* The audit reads the same sources back from the chain alone. */
    char jobhex[67] = "0x", dep[1200];
    clo_hex_encode(jobhex + 2, CLO_BYTES(job, 32));
    snprintf(dep, sizeof dep, "%s/devnet/deployments/%llu.json", d->dir,
             (unsigned long long)d->chain_id);
    const char *aargs[] = {"audit", jobhex, "--deployment", dep, NULL};
    json_t *audit = ok ? demo_run_self(d, aargs) : NULL, *fs = NULL;
    json_t *links = json_object_get(audit, "links"), *l;
    size_t i;
    json_array_foreach(links, i, l) if (!fs) fs = json_object_get(l, "fetched_sources");
    int shown = json_array_size(fs) == 3;
    for (size_t k = 0; shown && k < 3; k++) {
        char want[67] = "0x";
        clo_hex_encode(want + 2, CLO_BYTES(o.src[k].spki_sha256, 32));
        shown =
            !strcmp(json_string_value(json_object_get(json_array_get(fs, k), "spki_sha256")), want);
    }
    snprintf(detail, sizeof detail, "cloister audit %s shows each source's key and body hash",
             jobhex);
    demo_step(d, "audit: the sources from the chain alone",
              shown && json_is_true(json_object_get(audit, "custody_ok")), detail);
    json_decref(audit);
    demo_outcome_free(&oc);
    clo_buf_free(&config);
    clo_buf_free(&env);
    clo_buf_free(&input);
    return ok && shown ? 0 : -1;
}

/* ---- confidential inference: the diagnosis flow ---- */

#define PATIENTS 3

/* The three patients' answers: status, diagnosis and its probability. */
static int read_diagnosis(clo_bytes p, int64_t *label, float *prob)
{
    clo_onnx_answer a;
    float probs[2] = {0, 0};
    *label = -1;
    if (clo_onnx_answer_decode(p, &a).code || a.status) return -1;
    for (size_t i = 0; i < a.n; i++) {
        const clo_onnx_tensor *t = &a.t[i];
        if (clo_bytes_eq(t->name, clo_bytes_str("diagnosis")) && t->dtype == CLO_ONNX_INT64 &&
            t->count == 1 && t->form == CLO_ONNX_DATA_RAW)
            memcpy(label, t->data.ptr, 8);
        if (clo_bytes_eq(t->name, clo_bytes_str("probabilities")) && t->dtype == CLO_ONNX_FLOAT &&
            t->count == 2 && t->form == CLO_ONNX_DATA_RAW)
            memcpy(probs, t->data.ptr, 8);
    }
    if (*label < 0 || *label > 1) return -1;
    *prob = probs[*label];
    return 0;
}

int demo_diagnosis(demo *d, clo_sender *owner)
{
    char path[1200], csv[CLI_PATH_CAP], detail[600], sim[1100], dep_path[1200];
    clo_buf text, model, plain[PATIENTS], envs[PATIENTS];
    clo_envelope_reply_key rk[PATIENTS];
    clo_dataset ds;
    clo_train_report rep;
    clo_train_opts o;
    memset(&ds, 0, sizeof ds);
    memset(&rep, 0, sizeof rep);
    memset(rk, 0, sizeof rk);
    clo_buf_init(&model, 1 << 24);
    for (int i = 0; i < PATIENTS; i++) {
        clo_buf_init(&plain[i], 1 << 16);
        clo_buf_init(&envs[i], 1 << 16);
    }
    int ok = 1;
    size_t line;
    double acc = 0;
    clo_train_defaults(CLO_MODEL_MLP, &o);
    ok = !cli_find_share("datasets/breast_cancer.csv", NULL, NULL, csv) &&
         !cli_read_file("breast_cancer.csv (make deps extracts it)", csv, 64 << 20, &text);
    if (ok) {
        ok = !clo_dataset_parse_csv(clo_buf_view(&text), &ds, &line).code &&
             !clo_train(&ds, &o, &model, &rep).code &&
             !clo_train_evaluate(clo_buf_view(&model), &ds, rep.test_index, rep.test_rows, &acc)
                  .code;
        clo_buf_free(&text);
    }
    snprintf(path, sizeof path, "%s/diagnosis-mlp.onnx", d->dir);
    ok = ok && !cli_write_file(path, clo_buf_view(&model), 0);
    uint8_t id[32] = {0}, cfg[33] = {1}, config_hash[32], name[32];
    ok = ok && !clo_model_id(clo_buf_view(&model), id).code;
    snprintf(detail, sizeof detail,
             "a 30-16-2 MLP on the Wisconsin breast-cancer data: %.1f%% on %zu held-out records "
             "(run by the engine); %zu bytes of ONNX",
             acc * 100, rep.test_rows, model.len);
    demo_step(d, "model owner trains a diagnosis model", ok && acc >= 0.93, detail);

    /* On chain: the name points at this model id, version 1. */
    memcpy(cfg + 1, id, 32);
    clo_config_hash(CLO_BYTES(cfg, 33), config_hash);
    uint64_t nonce = (uint64_t)time(NULL) * 1000000u + (uint64_t)getpid() % 1000000u + 7, now = 0;
    {
        char nm[80];
        snprintf(nm, sizeof nm, "cloister/model/breast-cancer/%llu", (unsigned long long)nonce);
        clo_models_name(nm, name);
    }
    clo_call_result r;
    ok = ok && !demo_sent(d, clo_models_register(owner, d->models, name, "onnx", id, &r), &r,
                          "ModelRegistry.register")
                    .code;
    demo_step(d, "its id is registered on chain (ModelRegistry, version 1)", ok,
              "the owner alone can point the name at a new version; each is an event");

    /* Provisioned after the owner checked the enclave's evidence itself. */
    snprintf(sim, sizeof sim, "%s/sim", d->dir);
    snprintf(dep_path, sizeof dep_path, "%s/devnet/deployments/%llu.json", d->dir,
             (unsigned long long)d->chain_id);
    const char *pargs[] = {"model",        "provision", "--model",   path, "--node", d->node_url,
                           "--deployment", dep_path,    "--sim-dir", sim,  NULL};
    json_t *pv = ok ? demo_run_self(d, pargs) : NULL;
    char idhex[65];
    clo_hex_encode(idhex, CLO_BYTES(id, 32));
    const char *got = json_string_value(json_object_get(pv, "model_id"));
    ok = ok && got && !strncmp(got, "0x", 2) && !strcmp(got + 2, idhex);
    snprintf(detail, sizeof detail,
             "evidence verified over the owner's nonce, model HPKE-sealed to epoch %lld's key; "
             "the node never sees it",
             (long long)json_integer_value(json_object_get(pv, "epoch")));
    demo_step(d, "owner verifies the enclave and provisions the model", ok, detail);
    json_decref(pv);

    /* Three patients' records from the held-out set, each sealed by its patient.
     * The onnx config (0x01 || model id) is on chain: ModelRegistry published it. */
    ok = ok && !demo_chain_now(d, &now).code;
    uint8_t job[32];
    demo_job_id_for(d, owner->address, nonce, job);
    clo_bytes views[PATIENTS];
    int truth[PATIENTS] = {0};
    for (int i = 0; i < PATIENTS && ok; i++) {
        uint32_t row = rep.test_index[i];
        truth[i] = ds.y[row];
        clo_tensor x = {CLO_ONNX_FLOAT,
                        {2, {1, (int64_t)ds.features}},
                        ds.features,
                        ds.x + (size_t)row * ds.features};
        ok = !clo_onnx_input_encode(&x, 1, &plain[i]).code &&
             !demo_seal(d, job, "onnx", clo_buf_view(&plain[i]), &envs[i], &rk[i]).code;
        views[i] = clo_buf_view(&envs[i]);
    }
    uint8_t none[20] = {0};
    ok = ok && !demo_submit_job(d, owner, "onnx", config_hash, none, now + 3600, nonce, views,
                                PATIENTS, "submitJob (onnx, 3 sealed records)")
                    .code;
    demo_step(d, "3 patients seal their records to the enclave", ok,
              "30 measurements each, HPKE-sealed client side; on chain only ciphertext");

    outcome oc;
    memset(&oc, 0, sizeof oc);
    ok = ok && !demo_wait_settled(d, job, &oc).code && oc.npriv == PATIENTS;
    if (ok) demo_gas(d, "settle (onnx, 3 diagnoses)", oc.gas);
    /* Each patient opens their own answer, and cannot open another's. */
    int right = 0, isolated = 1;
    char lines[PATIENTS][120];
    for (int i = 0; i < PATIENTS && ok; i++) {
        clo_buf pt;
        clo_buf_init(&pt, 1 << 16);
        int64_t label = -1;
        float prob = 0;
        ok = !clo_envelope_reply_open(&pt, &rk[i], clo_buf_view(&oc.priv[i])).code &&
             !read_diagnosis(clo_buf_view(&pt), &label, &prob);
        clo_buf_clear(&pt);
        isolated &=
            clo_envelope_reply_open(&pt, &rk[i], clo_buf_view(&oc.priv[(i + 1) % PATIENTS])).code ==
            CLO_E_AUTH;
        right += label == truth[i];
        snprintf(lines[i], sizeof lines[i], "patient %d: %s (p=%.3f), biopsy said %s", i + 1,
                 label == 0 ? ds.class_names[0] : ds.class_names[1], (double)prob,
                 ds.class_names[truth[i]]);
        clo_buf_free(&pt);
    }
    snprintf(detail, sizeof detail, "%s; %s; %s; %.0f ms after submission", lines[0], lines[1],
             lines[2], oc.ms);
    demo_step(d, "each patient reads only their own diagnosis", ok && isolated, detail);
    /* The chain's record: the settled job's model is the registered one. */
    int current = 0;
    if (ok && clo_models_is_current(d->rpc, d->models, name, config_hash, &current).code)
        current = 0;
    snprintf(
        detail, sizeof detail,
        "the job was settled by the approved enclave with configHash keccak256(0x01 || %.16s...), "
        "ModelRegistry.isCurrent = %s; %d of 3 diagnoses match the biopsies",
        idhex, current ? "true" : "false", right);
    demo_step(d, "the chain names the registered model", ok && current == 1, detail);
    demo_outcome_free(&oc);
    for (int i = 0; i < PATIENTS; i++) {
        clo_envelope_reply_key_wipe(&rk[i]);
        clo_buf_free(&plain[i]);
        clo_buf_free(&envs[i]);
    }
    clo_buf_free(&model);
    clo_train_report_free(&rep);
    clo_dataset_free(&ds);
    return ok ? 0 : -1;
}
