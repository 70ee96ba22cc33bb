/* supervisor.c — enclave process lifecycle and the call path. */
#include "host/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "evidence/measure.h"
#include "evidence/sim.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/jsonhex.h"
#include "base/log.h"
#include "base/teekind.h"
#include "chain/http.h"
#include "crypto/hash.h"
#include "wire/frame.h"
#include "wire/witness.h"
#include "chain/rpc.h"
#include "client/contracts.h"
#include "host/crash.h"
#include "host/sealfile.h"

struct clo_super {
    pthread_mutex_t mu; /* held for a whole call: as long as the enclave takes */
    /* What the control plane reads, under a lock no enclave call holds. */
    pthread_mutex_t snap_mu;
    clo_super_status snap;
    int64_t answered_ms, call_since_ms; /* monotonic; call_since 0: no call */
    clo_config cfg;
    char exe[CLO_PATH_MAX], state_path[CLO_PATH_MAX + 32];
    pid_t pid;
    int fd;
    uint32_t next_id;
    int64_t backoff_ms, next_start_ms;
    int64_t next_retake; /* with enclave.key_peers: the next try for later epochs (s) */
    clo_super *giver;    /* a pool member's: the node's first enclave (issue 21) */
    uint64_t restarts, starts;
    uint8_t exe_event[48], measurement[48]; /* the launcher's event; RTMR3 after INIT */
    clo_proto_keys keys;
    char what[CLO_FRAME_MAX_WHAT + 1];
    clo_buf in;
};

clo_err clo_super_new(clo_super **out, const clo_config *cfg, const char *enclave_path)
{
    clo_super *s = calloc(1, sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "supervisor");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->snap_mu, NULL);
    s->cfg = *cfg;
    s->fd = -1;
    s->backoff_ms = 100;
    snprintf(s->exe, sizeof s->exe, "%s", enclave_path);
    snprintf(s->state_path, sizeof s->state_path, "%s/enclave.state", cfg->data_dir);
    clo_buf_init(&s->in, CLO_FRAME_MAX_BODY);
    *out = s;
    return CLO_OK;
}

/* Copy what the control plane shows into the snapshot (s->mu held). */
static void publish(clo_super *s)
{
    pthread_mutex_lock(&s->snap_mu);
    s->snap.running = s->fd >= 0;
    s->snap.pid = s->fd >= 0 ? s->pid : 0;
    s->snap.restarts = s->restarts;
    memcpy(s->snap.measurement, s->measurement, 48);
    s->snap.keys = s->keys;
    pthread_mutex_unlock(&s->snap_mu);
}

/* A call is under way (start) or ended with a frame read (answered). */
static void note_call(clo_super *s, int start, int answered)
{
    int64_t now = clo_mono_ms();
    pthread_mutex_lock(&s->snap_mu);
    s->call_since_ms = start ? now : 0;
    if (answered) s->answered_ms = now;
    pthread_mutex_unlock(&s->snap_mu);
}

static void kill_enclave(clo_super *s)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    s->pid = 0;
    publish(s);
}

/* Whole file into out; missing file -> *missing = 1. */
static clo_err read_path(const char *path, clo_buf *out, int *missing)
{
    clo_err err = clo_file_read(path, out);
    *missing = err.code == CLO_E_IO && errno == ENOENT;
    return *missing ? CLO_OK : err;
}

/* The launcher's half of the measured launch (attest/measure.h): the
 * executable event over the very descriptor that is then executed. On TDX it
 * is extended into RTMR3 here, before the enclave runs; the simulated TEE
 * takes it in INIT and emulates the register. */
static clo_err measure(clo_super *s, int exe_fd)
{
    clo_hash_ctx h;
    uint8_t exe_hash[48], buf[65536];
    CLO_TRY(clo_hash_init(&h, CLO_HASH_SHA384));
    clo_err err = CLO_OK;
    off_t off = 0;
    for (;;) {
        ssize_t r = pread(exe_fd, buf, sizeof buf, off);
        if (r < 0 && errno == EINTR) continue;
        CLO_FAIL_IF(r < 0, CLO_E_IO, "enclave executable: cannot read");
        if (r == 0) break;
        CLO_CHECK(clo_hash_update(&h, CLO_BYTES(buf, (size_t)r)));
        off += r;
    }
    CLO_TRY(clo_hash_final(&h, exe_hash));
    CLO_TRY(clo_measure_exe_event(exe_hash, s->exe_event));
    uint8_t ch[32], config_event[48];
    CLO_TRY(clo_committee_hash(&s->cfg.committee, ch));
    CLO_TRY(clo_measure_config_event(s->cfg.chain_id, s->cfg.job_market, s->cfg.registry, ch,
                                     config_event));
    CLO_TRY(clo_measure_rtmr3(s->exe_event, config_event, s->measurement));
    if (!strcmp(s->cfg.backend, "tdx")) {
        int mrfd = open(s->cfg.tdx_mr_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CLO_ENSURE(mrfd >= 0, CLO_E_IO, "enclave.tdx_mr_dir cannot be opened");
        err = clo_measure_rtmr_extend_at(mrfd, s->exe_event);
        close(mrfd);
    }
    return err;
out:
    clo_hash_wipe(&h);
    return err;
}

static clo_err spawn(clo_super *s)
{
    int exe_fd = open(s->exe, O_RDONLY | O_CLOEXEC);
    CLO_ENSURE(exe_fd >= 0, CLO_E_IO, "enclave executable: cannot open (enclave.path)");
    clo_err err = CLO_OK;
    int sv[2] = {-1, -1};
    CLO_CHECK(measure(s, exe_fd));
    CLO_FAIL_IF(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0, CLO_E_IO,
                "enclave: socketpair");
    char threads[16]; /* formatted before fork: the child only dups and execs */
    snprintf(threads, sizeof threads, "%u", s->cfg.enclave_threads);
    pid_t pid = fork();
    CLO_FAIL_IF(pid < 0, CLO_E_IO, "enclave: fork");
    if (pid == 0) {
        /* Child: channel on fd 3, the executable on fd 4 (close-on-exec), stdin
         * and stdout on /dev/null, stderr shared for the enclave's own log. */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(sv[1], 3) < 0 ||
            dup2(exe_fd, 4) < 0 || fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
            _exit(126);
        closefrom(5);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *argv[] = {"cloister-enclave", "--fd", "3", "--threads", threads, NULL};
        char *envp[] = {NULL};
        fexecve(4, argv, envp);
        _exit(127);
    }
    close(sv[1]);
    s->pid = pid;
    s->fd = sv[0];
out:
    if (err.code && sv[0] >= 0) {
        close(sv[0]);
        close(sv[1]);
    }
    close(exe_fd);
    return err;
}

/* One framed round trip on a running enclave. */
static clo_err raw_call(clo_super *s, uint16_t call, clo_bytes body, clo_buf *resp)
{
    uint32_t id = ++s->next_id;
    clo_frame_hdr h;
    note_call(s, 1, 0);
    clo_err err = clo_frame_write(s->fd, CLO_FRAME_REQUEST, call, id, body);
    if (!err.code) err = clo_frame_read(s->fd, (int)s->cfg.timeout_seconds * 1000, &h, &s->in);
    note_call(s, 0, !err.code);
    CLO_TRY(err);
    CLO_ENSURE(h.id == id && h.call == call, CLO_E_FORMAT, "enclave: reply to another call");
    if (h.kind == CLO_FRAME_ERROR) {
        clo_err e;
        CLO_TRY(clo_frame_decode_error(clo_buf_view(&s->in), s->what, &e));
        /* The enclave answered: the channel is fine, the call failed. */
        return CLO_ERR(e.code, e.what);
    }
    CLO_ENSURE(h.kind == CLO_FRAME_RESPONSE, CLO_E_FORMAT, "enclave: frame kind");
    if (resp) {
        clo_buf_clear(resp);
        CLO_TRY(clo_buf_append_bytes(resp, clo_buf_view(&s->in)));
    }
    return CLO_OK;
}

/* Is this error the channel's (restart) rather than the call's? */
static int channel_broken(clo_err e, const clo_super *s)
{
    return e.code && e.what != s->what;
}

static clo_err refresh_keys(clo_super *s)
{
    clo_buf r;
    clo_buf_init(&r, 1 << 16);
    clo_err err = raw_call(s, CLO_CALL_KEYS, CLO_BYTES_EMPTY, &r);
    if (!err.code) err = clo_proto_keys_decode(clo_buf_view(&r), &s->keys);
    clo_buf_free(&r);
    return err;
}

/* POST body to `path` at the committee's verifiers in turn, until `want`
 * distinct members answered with their signature of kind over (lineage, the
 * version they name, nonce); for a record, the version must be `version`.
 * Each signature is checked here, so a bad answer is named in the log. */
static size_t ask_committee(clo_super *s, clo_state_msg kind, const char *path, const char *body,
                            const uint8_t lineage[20], uint64_t version, const uint8_t nonce[32],
                            size_t want, clo_proto_state_report *out)
{
    const clo_committee *cm = &s->cfg.committee;
    char urls[sizeof s->cfg.verifiers], *save = NULL;
    uint8_t counted[CLO_COMMITTEE_MAX] = {0};
    size_t n = 0;
    snprintf(urls, sizeof urls, "%s", s->cfg.verifiers);
    for (char *u = strtok_r(urls, ",", &save); u && n < want; u = strtok_r(NULL, ",", &save)) {
        char url[2100];
        long status = 0;
        json_t *doc = NULL;
        clo_proto_state_report ss;
        snprintf(url, sizeof url, "%s%s", u, path);
        int ok = !clo_http_json("POST", url, body, 10000, &status, &doc).code && status == 200;
        const json_t *jv = json_object_get(doc, "version");
        const char *sig = json_string_value(json_object_get(doc, "signature"));
        ok = ok && json_is_integer(jv) && json_integer_value(jv) >= 0 && sig &&
             !clo_hex_decode_fixed(ss.sig, 65, sig).code;
        size_t m = 0;
        if (ok) {
            uint8_t digest[32];
            ss.version = (uint64_t)json_integer_value(jv);
            clo_state_digest(kind, lineage, ss.version, nonce, s->cfg.chain_id, s->cfg.job_market,
                             digest);
            ok = (kind != CLO_STATE_RECORDED || ss.version == version) &&
                 !clo_committee_signer(cm, digest, ss.sig, "state", &m).code && !counted[m];
        }
        if (ok) {
            counted[m] = 1;
            out[n++] = ss;
        } else {
            const char *detail = json_string_value(json_object_get(doc, "detail"));
            CLO_LOG(CLO_LOG_WARN, "enclave.state_refused", CLO_LF_STR("url", u),
                    CLO_LF_STR("path", path), CLO_LF_I64("status", status),
                    CLO_LF_STR("detail", detail ? detail : "no usable answer"));
        }
        json_decref(doc);
    }
    return n;
}

/* The committee records the export, and the enclave takes their word for it
 * (wire/witness.h): before that it logs at most 1024 more jobs. */
static clo_err witness(clo_super *s, const uint8_t lineage[20], uint64_t version,
                       const uint8_t sig[65])
{
    const clo_committee *cm = &s->cfg.committee;
    clo_proto_witness w = {.version = version};
    clo_proto_state_report got[CLO_COMMITTEE_MAX];
    json_t *req =
        json_pack("{s:o,s:I,s:o}", "lineage", clo_json_hex(CLO_BYTES(lineage, 20)), "version",
                  (json_int_t)version, "signature", clo_json_hex(CLO_BYTES(sig, 65)));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    CLO_ENSURE(body, CLO_E_NOMEM, "state: record request");
    size_t n = ask_committee(s, CLO_STATE_RECORDED, "/v1/state/record", body, lineage, version,
                             NULL, cm->threshold, got);
    free(body);
    CLO_ENSURE(n >= cm->threshold, CLO_E_IO,
               "state: fewer committee members than the threshold recorded the export");
    w.count = n;
    for (size_t i = 0; i < n; i++) memcpy(w.sigs[i], got[i].sig, 65);
    clo_buf call;
    clo_buf_init(&call, sizeof w.sigs + 9);
    clo_err err = clo_proto_witness_encode(&w, &call);
    if (!err.code) err = raw_call(s, CLO_CALL_WITNESS, clo_buf_view(&call), NULL);
    clo_buf_free(&call);
    return err;
}

/* EXPORT, on disk (write, fsync, rename, fsync), then witnessed. */
static clo_err export_state(clo_super *s)
{
    clo_buf r;
    clo_buf_init(&r, CLO_FRAME_MAX_BODY);
    clo_proto_export ex;
    clo_state_header h;
    clo_err err = raw_call(s, CLO_CALL_EXPORT, CLO_BYTES_EMPTY, &r);
    if (!err.code) err = clo_proto_export_decode(clo_buf_view(&r), &ex);
    if (!err.code) err = clo_state_header_decode(ex.state, &h);
    if (!err.code) err = clo_sealfile_replace(s->cfg.data_dir, s->state_path, ex.state);
    if (!err.code && s->cfg.committee.count) err = witness(s, h.lineage, h.version, ex.sig);
    clo_buf_free(&r);
    return err;
}

/* IMPORT the sealed state with the committee's reports of the latest version
 * of its lineage, over the enclave's nonce (every member: wire/witness.h). */
static clo_err import_state(clo_super *s, clo_bytes blob, clo_proto_imported *done)
{
    const clo_committee *cm = &s->cfg.committee;
    clo_proto_import in = {.state = blob};
    clo_proto_state st;
    clo_state_header h;
    clo_buf r, body;
    clo_buf_init(&r, 64 * 1024);
    clo_buf_init(&body, CLO_FRAME_MAX_BODY);
    clo_err err = clo_state_header_decode(blob, &h);
    if (!err.code && cm->count) {
        err = raw_call(s, CLO_CALL_STATE, CLO_BYTES_EMPTY, &r);
        if (!err.code) err = clo_proto_state_decode(clo_buf_view(&r), &st);
        char *text = NULL;
        if (!err.code) {
            json_t *req = json_pack("{s:o,s:o}", "lineage", clo_json_hex(CLO_BYTES(h.lineage, 20)),
                                    "nonce", clo_json_hex(CLO_BYTES(st.nonce, 32)));
            text = json_dumps(req, JSON_COMPACT);
            json_decref(req);
            if (!text) err = CLO_ERR(CLO_E_NOMEM, "state: latest request");
        }
        size_t want = clo_state_read_quorum(cm);
        if (!err.code)
            in.count = ask_committee(s, CLO_STATE_LATEST, "/v1/state/latest", text, h.lineage, 0,
                                     st.nonce, want, in.reports);
        free(text);
        if (!err.code && in.count < want)
            err = CLO_ERR(CLO_E_IO, "state: too few committee members reported its latest version");
    }
    if (!err.code) err = clo_proto_import_encode(&in, &body);
    if (!err.code) err = raw_call(s, CLO_CALL_IMPORT, clo_buf_view(&body), &r);
    if (!err.code) err = clo_proto_imported_decode(clo_buf_view(&r), done);
    clo_buf_free(&r);
    clo_buf_free(&body);
    return err;
}

/* A held secret's sealed chunks (SECRET_SEAL) into its file, committed whole. */
static clo_err store_secret(clo_super *s, const uint8_t id[32])
{
    clo_secretfile f;
    clo_proto_secret_ref ref;
    clo_proto_sealed_chunk ch;
    clo_buf req, r;
    clo_buf_init(&req, 64);
    clo_buf_init(&r, (size_t)CLO_SECRET_CHUNK + 64);
    memcpy(ref.id, id, 32);
    clo_err err = clo_secretfile_create(&f, s->cfg.data_dir, id);
    if (err.code) goto out;
    for (ref.index = 0, ch.count = 1; ref.index < ch.count; ref.index++) {
        clo_buf_clear(&req);
        clo_buf_clear(&r);
        CLO_CHECK(clo_proto_secret_ref_encode(&ref, &req));
        CLO_CHECK(raw_call(s, CLO_CALL_SECRET_SEAL, clo_buf_view(&req), &r));
        CLO_CHECK(clo_proto_sealed_chunk_decode(clo_buf_view(&r), &ch));
        CLO_CHECK(clo_secretfile_append(&f, ch.sealed));
    }
    err = clo_secretfile_commit(&f);
out:
    if (err.code) clo_secretfile_abort(&f);
    clo_buf_free(&req);
    clo_buf_free(&r);
    return err;
}

/* SECRET_LOAD one secret the imported state names, from its file. A secret
 * file that is missing or does not load leaves that secret unloaded (its
 * jobs fail as not provisioned) and is logged; the enclave still serves the
 * rest. Only a broken channel is an error. */
static clo_err load_secret(clo_super *s, const uint8_t id[32])
{
    clo_secretfile f;
    clo_proto_secret_load ld;
    clo_buf chunk, req, r;
    int end = 0, done = 0;
    clo_buf_init(&chunk, (size_t)CLO_SECRET_CHUNK + 16);
    clo_buf_init(&req, (size_t)CLO_SECRET_CHUNK + 64);
    clo_buf_init(&r, 16);
    memcpy(ld.id, id, 32);
    clo_err err = clo_secretfile_open(&f, s->cfg.data_dir, id), lost = CLO_OK;
    for (ld.index = 0; !err.code && !done; ld.index++) {
        err = clo_secretfile_next(&f, &chunk, &end);
        if (!err.code && end) err = CLO_ERR(CLO_E_FORMAT, "secret: the sealed secret is cut short");
        ld.sealed = clo_buf_view(&chunk);
        clo_buf_clear(&req);
        clo_buf_clear(&r);
        if (!err.code) err = clo_proto_secret_load_encode(&ld, &req);
        if (!err.code) {
            err = raw_call(s, CLO_CALL_SECRET_LOAD, clo_buf_view(&req), &r);
            if (channel_broken(err, s)) lost = err;
        }
        if (!err.code) err = clo_proto_done_decode(clo_buf_view(&r), &done);
    }
    clo_secretfile_close(&f);
    if (err.code && !lost.code)
        CLO_LOG(CLO_LOG_WARN, "enclave.secret_not_loaded", CLO_LF_HEX("id", CLO_BYTES(id, 32)),
                CLO_LF_STR("what", err.what ? err.what : ""));
    clo_buf_free(&chunk);
    clo_buf_free(&req);
    clo_buf_free(&r);
    return lost;
}

static clo_err load_sim_parts(const char *dir, clo_buf parts[], size_t n);

/* The enclave must speak our protocol version before it gets anything else. */
static clo_err hello(clo_super *s)
{
    clo_proto_hello h;
    clo_buf req, r;
    clo_buf_init(&req, 2);
    clo_buf_init(&r, 256);
    clo_err err = clo_proto_hello_req_encode(CLO_PROTO_VERSION, &req);
    if (!err.code) err = raw_call(s, CLO_CALL_HELLO, clo_buf_view(&req), &r);
    if (!err.code) err = clo_proto_hello_decode(clo_buf_view(&r), &h);
    if (!err.code && (h.version != CLO_PROTO_VERSION || h.initialised))
        err = CLO_ERR(CLO_E_VERSION, "enclave: protocol version or state");
    clo_buf_free(&req);
    clo_buf_free(&r);
    return err;
}

/* Where a taker's epoch keys come from (issue 21): a peer node over HTTP
 * (enclave.key_peers), or, for a pool member, this node's first enclave,
 * called directly. Either way the enclaves check each other; the host relays. */
typedef struct {
    const char *peer;
    clo_super *local;
} key_giver;

/* The giver enclave's fresh nonce. */
static clo_err giver_challenge(const key_giver *g, clo_buf *nonce)
{
    if (g->local) return clo_super_call(g->local, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, nonce);
    char url[2200];
    long status = 0;
    json_t *doc = NULL;
    snprintf(url, sizeof url, "%s/v1/keys/challenge", g->peer);
    clo_err err = clo_http_json("POST", url, "{}", 10000, &status, &doc);
    if (!err.code && status != 200) err = CLO_ERR(CLO_E_STATE, "keys: the peer gave no challenge");
    if (!err.code) err = clo_hex_decode(nonce, json_string_value(json_object_get(doc, "nonce")));
    json_decref(doc);
    return err;
}

/* The keys, sealed to the transport key of the taker's evidence h. */
static clo_err giver_give(const key_giver *g, const clo_proto_share_give *h, clo_buf *sealed)
{
    if (g->local) {
        clo_buf body;
        clo_buf_init(&body, 1 << 17);
        clo_err err = clo_proto_share_give_encode(h, &body);
        if (!err.code)
            err = clo_super_call(g->local, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), sealed);
        if (!err.code) err = clo_super_share_add_vcek(&g->local->cfg, sealed);
        clo_buf_free(&body);
        return err;
    }
    char url[2200];
    long status = 0;
    json_t *doc = NULL;
    json_t *req = json_pack(
        "{s:o,s:o,s:o,s:i,s:o,s:o}", "nonce", clo_json_hex(CLO_BYTES(h->nonce, 32)),
        "transport_public_key", clo_json_hex(CLO_BYTES(h->transport_pk, 32)), "signer",
        clo_json_hex(CLO_BYTES(h->signer, 20)), "format", h->format, "evidence",
        clo_json_hex(h->evidence), "vcek", clo_json_hex(h->nparts ? h->parts[0] : CLO_BYTES_EMPTY));
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    snprintf(url, sizeof url, "%s/v1/keys/share", g->peer);
    clo_err err = body ? clo_http_json("POST", url, body, 30000, &status, &doc)
                       : CLO_ERR(CLO_E_NOMEM, "keys");
    free(body);
    if (!err.code && status == 403)
        err = CLO_ERR(CLO_E_POLICY, "keys: the peer refuses this enclave (its registry record "
                                    "is expired or revoked, or the peer does not share)");
    else if (!err.code && status != 200)
        err = CLO_ERR(CLO_E_POLICY, "keys: the peer's enclave refused this one");
    if (!err.code) err = clo_hex_decode(sealed, json_string_value(json_object_get(doc, "sealed")));
    json_decref(doc);
    return err;
}

clo_err clo_super_share_add_vcek(const clo_config *cfg, clo_buf *keys)
{
    clo_proto_share_keys k;
    CLO_TRY(clo_proto_share_keys_decode(clo_buf_view(keys), &k));
    if (k.format != CLO_EVIDENCE_SNP_REPORT || k.nparts) return CLO_OK;
    clo_buf vcek, out;
    clo_buf_init(&vcek, 1 << 16);
    clo_buf_init(&out, keys->len + (1 << 16));
    clo_err err = clo_config_read_vcek(cfg, &vcek);
    k.parts[0] = clo_buf_view(&vcek);
    k.nparts = 1;
    if (!err.code) err = clo_proto_share_keys_encode(&k, &out);
    if (!err.code) {
        clo_buf_clear(keys);
        err = clo_buf_append_bytes(keys, clo_buf_view(&out));
    }
    clo_buf_free(&vcek);
    clo_buf_free(&out);
    return err;
}

/* A peer node's giver names its signer, bound in its quote (this enclave
 * checks the binding): with the chain side on, its registry record must be
 * active and unexpired, or its keys are not taken. */
static clo_err giver_record_live(clo_super *s, clo_bytes given)
{
    clo_proto_share_keys k;
    const char *why = NULL;
    clo_rpc *rpc = NULL;
    clo_rpc_opts o = {s->cfg.rpc_url, 10000, 0, 100};
    if (!s->cfg.rpc_url[0]) return CLO_OK;
    CLO_TRY(clo_proto_share_keys_decode(given, &k));
    clo_err err = clo_rpc_new(&o, &rpc);
    if (!err.code) err = clo_registry_record_live(rpc, s->cfg.registry, k.signer, &why);
    clo_rpc_free(rpc);
    CLO_TRY(err);
    CLO_ENSURE(why != clo_record_expired, CLO_E_POLICY,
               "keys: the giver's registry record is expired");
    CLO_ENSURE(!why, CLO_E_POLICY, "keys: the giver's registry record is not active");
    return CLO_OK;
}

/* Epoch keys from one giver: its enclave's challenge, this enclave's
 * evidence over it, the keys sealed to this enclave's transport key. */
static clo_err take_from(clo_super *s, const key_giver *g)
{
    clo_buf nonce, hello, sealed, vcek;
    clo_buf_init(&nonce, 32);
    clo_buf_init(&hello, 1 << 17);
    clo_buf_init(&sealed, 1 << 17);
    clo_buf_init(&vcek, 1 << 16);
    clo_err err = CLO_OK;
    CLO_CHECK(giver_challenge(g, &nonce));
    CLO_FAIL_IF(nonce.len != 32, CLO_E_FORMAT, "keys: the giver's challenge");
    CLO_CHECK(raw_call(s, CLO_CALL_SHARE_BEGIN, clo_buf_view(&nonce), &hello));
    clo_proto_share_hello h;
    CLO_CHECK(clo_proto_share_hello_decode(clo_buf_view(&hello), &h));
    clo_proto_share_give give;
    memset(&give, 0, sizeof give);
    memcpy(give.nonce, nonce.ptr, 32);
    memcpy(give.transport_pk, h.transport_pk, 32);
    memcpy(give.signer, h.signer, 20);
    give.format = h.format;
    give.evidence = h.evidence;
    if (h.format == CLO_EVIDENCE_SNP_REPORT) { /* the giver checks it with our VCEK */
        CLO_CHECK(clo_config_read_vcek(&s->cfg, &vcek));
        give.parts[0] = clo_buf_view(&vcek);
        give.nparts = 1;
    }
    CLO_CHECK(giver_give(g, &give, &sealed));
    if (!g->local) CLO_CHECK(giver_record_live(s, clo_buf_view(&sealed)));
    CLO_CHECK(raw_call(s, CLO_CALL_SHARE_TAKE, clo_buf_view(&sealed), NULL));
out:
    clo_buf_free(&nonce);
    clo_buf_free(&hello);
    clo_buf_free(&sealed);
    clo_buf_free(&vcek);
    return err;
}

static void log_take(const char *from, clo_err e)
{
    CLO_LOG(e.code ? CLO_LOG_WARN : CLO_LOG_INFO, e.code ? "keys.peer_refused" : "keys.taken",
            CLO_LF_STR("peer", from), CLO_LF_STR("code", clo_code_name(e.code)),
            CLO_LF_STR("what", e.what ? e.what : ""));
}

/* Whether this enclave takes its keys rather than making them. */
static int takes_keys(const clo_super *s)
{
    return s->giver || s->cfg.key_peers[0];
}

/* A fresh enclave: its keys from the pool's first enclave, or the first peer
 * that shares them; 1 if one did. */
static int take_from_peers(clo_super *s)
{
    if (s->giver) {
        key_giver g = {NULL, s->giver};
        clo_err e = take_from(s, &g);
        log_take("this node's first enclave", e);
        return !e.code;
    }
    char list[sizeof s->cfg.key_peers], *save = NULL;
    snprintf(list, sizeof list, "%s", s->cfg.key_peers);
    for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        key_giver g = {p, NULL};
        clo_err e = take_from(s, &g);
        log_take(p, e);
        if (!e.code) return 1;
    }
    return 0;
}

static clo_err start(clo_super *s)
{
    int64_t now = clo_mono_ms();
    CLO_ENSURE(now >= s->next_start_ms, CLO_E_STALE, "enclave: restarting (backoff)");
    clo_err err = CLO_OK;
    clo_buf parts[16], body, state;
    size_t nparts = 0;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&state, CLO_FRAME_MAX_BODY);
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    clo_tee_kind kind;
    CLO_CHECK(clo_tee_kind_parse(s->cfg.backend, &kind));
    in.backend = (uint8_t)kind;
    if (clo_tee_is_simulated(kind)) {
        nparts = CLO_SIM_PARTS;
        CLO_CHECK(load_sim_parts(s->cfg.sim_dir, parts, nparts));
    } else {
        nparts = in.backend == CLO_TEE_TDX ? 2 : 1;
        clo_buf_init(&parts[0], CLO_PATH_MAX);
        CLO_CHECK(clo_buf_append(&parts[0], s->cfg.tee_dir, strlen(s->cfg.tee_dir)));
        if (nparts == 2) {
            clo_buf_init(&parts[1], CLO_PATH_MAX);
            CLO_CHECK(clo_buf_append(&parts[1], s->cfg.tdx_mr_dir, strlen(s->cfg.tdx_mr_dir)));
        }
    }
    CLO_CHECK(spawn(s));
    CLO_CHECK(hello(s));
    in.chain_id = s->cfg.chain_id;
    memcpy(in.registry, s->cfg.registry, 20);
    memcpy(in.market, s->cfg.job_market, 20);
    in.grace_seconds = s->cfg.grace_seconds;
    memcpy(in.measurement, s->exe_event, 48);
    in.committee = s->cfg.committee;
    in.count = nparts;
    for (size_t i = 0; i < nparts; i++) in.parts[i] = clo_buf_view(&parts[i]);
    CLO_CHECK(clo_proto_init_encode(&in, &body));
    CLO_CHECK(raw_call(s, CLO_CALL_INIT, clo_buf_view(&body), NULL));
    int missing;
    CLO_CHECK(read_path(s->state_path, &state, &missing));
    if (!missing) {
        static _Thread_local clo_proto_imported imp; /* large: not on the stack */
        CLO_CHECK(import_state(s, clo_buf_view(&state), &imp));
        for (size_t i = 0; i < imp.count; i++) CLO_CHECK(load_secret(s, imp.secrets[i].id));
        /* A state newer than the committee's record runs no job until recorded. */
        if (s->cfg.committee.count) CLO_CHECK(export_state(s));
    } else {
        /* No state: the epoch keys of a peer of the same measurement, or new ones. */
        if (!takes_keys(s) || !take_from_peers(s))
            CLO_CHECK(raw_call(s, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, NULL));
        CLO_CHECK(export_state(s));
    }
    CLO_CHECK(refresh_keys(s));
    s->starts++;
    if (s->starts > 1) s->restarts++;
    s->backoff_ms = 100;
    CLO_LOG(CLO_LOG_INFO, "enclave.started", CLO_LF_I64("pid", s->pid),
            CLO_LF_U64("epoch", s->keys.current), CLO_LF_BOOL("restored", !missing),
            CLO_LF_HEX("measurement", CLO_BYTES(s->measurement, 48)));
out:
    if (err.code) {
        kill_enclave(s);
        s->next_start_ms = clo_mono_ms() + s->backoff_ms;
        s->backoff_ms = s->backoff_ms * 2 > 5000 ? 5000 : s->backoff_ms * 2;
        CLO_LOG(CLO_LOG_ERROR, "enclave.start_failed", CLO_LF_STR("code", clo_code_name(err.code)),
                CLO_LF_STR("what", err.what ? err.what : ""));
    }
    for (size_t i = 0; i < nparts; i++) clo_buf_free(&parts[i]);
    clo_buf_free(&body);
    clo_buf_free(&state);
    return err;
}

static clo_err load_sim_parts(const char *dir, clo_buf parts[], size_t n)
{
    for (size_t i = 0; i < n; i++) clo_buf_init(&parts[i], 1 << 16);
    for (size_t i = 0; i < n; i++) {
        char path[CLO_PATH_MAX + 32];
        int missing;
        snprintf(path, sizeof path, "%s/%s", dir, clo_sim_part_names[i]);
        CLO_TRY(read_path(path, &parts[i], &missing));
        CLO_ENSURE(!missing, CLO_E_IO,
                   "enclave.sim_dir: simulated platform missing (run `cloister sim init`)");
    }
    return CLO_OK;
}

/* Notice an enclave that exited (crash, kill) without waiting for a call to fail. */
static void reap(clo_super *s)
{
    if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid) {
        CLO_LOG(CLO_LOG_WARN, "enclave.exited", CLO_LF_I64("pid", s->pid));
        s->pid = 0;
        kill_enclave(s);
    }
}

static clo_err ensure(clo_super *s)
{
    reap(s);
    if (s->fd >= 0) return CLO_OK;
    return start(s);
}

/* Errors of the enclave process or channel, as opposed to a refused call,
 * all become CLO_E_IO so callers retry instead of failing the work. */
static clo_err unavailable(void)
{
    return CLO_ERR(CLO_E_IO, "enclave unavailable");
}

clo_err clo_super_call(clo_super *s, uint16_t call, clo_bytes body, clo_buf *resp)
{
    pthread_mutex_lock(&s->mu);
    clo_err err = ensure(s);
    if (err.code) {
        err = unavailable();
    } else {
        err = raw_call(s, call, body, resp);
        if (channel_broken(err, s)) {
            CLO_LOG(CLO_LOG_WARN, "enclave.lost", CLO_LF_STR("what", err.what ? err.what : ""));
            kill_enclave(s);
            err = unavailable();
        }
    }
    publish(s);
    pthread_mutex_unlock(&s->mu);
    return err;
}

clo_err clo_super_persist(clo_super *s)
{
    pthread_mutex_lock(&s->mu);
    clo_err err = ensure(s);
    if (!err.code) err = export_state(s);
    if (err.code) {
        CLO_LOG(CLO_LOG_WARN, "enclave.persist_failed",
                CLO_LF_STR("what", err.what ? err.what : ""));
        kill_enclave(s);
        err = unavailable();
    }
    publish(s);
    pthread_mutex_unlock(&s->mu);
    return err;
}

clo_err clo_super_persist_secret(clo_super *s, const uint8_t id[32])
{
    pthread_mutex_lock(&s->mu);
    clo_err err = ensure(s);
    if (!err.code) err = store_secret(s, id);
    if (!err.code) err = export_state(s);
    if (err.code) {
        CLO_LOG(CLO_LOG_WARN, "enclave.persist_failed",
                CLO_LF_STR("what", err.what ? err.what : ""));
        kill_enclave(s);
        err = unavailable();
    }
    publish(s);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* A pool member whose first enclave has rotated: it takes the new epoch at
 * once (the worker asks every second), not at its own rotation time, so that
 * jobs sealed to the new key do not meet a member without it. */
static int behind_giver(clo_super *s)
{
    if (!s->giver) return 0;
    pthread_mutex_lock(&s->giver->snap_mu);
    uint32_t current = s->giver->snap.keys.current;
    pthread_mutex_unlock(&s->giver->snap_mu);
    return current > s->keys.current;
}

clo_err clo_super_maybe_rotate(clo_super *s, int64_t now)
{
    pthread_mutex_lock(&s->mu);
    clo_err err = ensure(s);
    int behind = !err.code && behind_giver(s);
    if (!err.code && s->keys.count &&
        (behind || now - s->keys.keys[0].created >= (int64_t)s->cfg.rotate_seconds)) {
        if (takes_keys(s)) {
            /* A node with peers (or a pool member) never makes epochs of its own, so that an
             * epoch number names one key in every enclave that holds it: it
             * takes the peers' later epochs instead (every 30 s, or
             * rotate_seconds if shorter, until one comes; meanwhile its
             * current epoch stays). */
            if (behind || now >= s->next_retake) {
                s->next_retake =
                    now + (s->cfg.rotate_seconds < 30 ? (int64_t)s->cfg.rotate_seconds : 30);
                uint32_t before = s->keys.current;
                if (take_from_peers(s)) err = export_state(s);
                if (!err.code) err = refresh_keys(s);
                if (!err.code && s->keys.current > before)
                    CLO_LOG(CLO_LOG_INFO, "enclave.rotated", CLO_LF_U64("epoch", s->keys.current),
                            CLO_LF_STR("from", "a peer"));
            }
        } else {
            err = raw_call(s, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, NULL);
            if (!err.code) err = export_state(s);
            if (!err.code)
                CLO_LOG(CLO_LOG_INFO, "enclave.rotated", CLO_LF_U64("epoch", s->keys.current + 1));
        }
    }
    if (!err.code) err = refresh_keys(s);
    if (err.code && s->fd >= 0) kill_enclave(s);
    publish(s);
    pthread_mutex_unlock(&s->mu);
    return err;
}

clo_err clo_super_heartbeat(clo_super *s, int64_t quiet_ms)
{
    pthread_mutex_lock(&s->snap_mu);
    int due = s->snap.running && clo_mono_ms() - s->answered_ms >= quiet_ms;
    pthread_mutex_unlock(&s->snap_mu);
    return due ? clo_super_call(s, CLO_CALL_PING, CLO_BYTES_EMPTY, NULL) : CLO_OK;
}

/* Linux /proc/PID/stat's state letter; 0 when it cannot be read. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the name may hold anything but ends at the last ')' */
    return p && p[1] == ' ' ? p[2] : 0;
}

void clo_super_status_get(clo_super *s, clo_super_status *out)
{
    int64_t now = clo_mono_ms();
    pthread_mutex_lock(&s->snap_mu);
    *out = s->snap;
    out->silent_ms = s->answered_ms ? now - s->answered_ms : -1;
    out->busy_ms = s->call_since_ms ? now - s->call_since_ms : 0;
    pthread_mutex_unlock(&s->snap_mu);
    char st = out->pid > 0 ? proc_state((pid_t)out->pid) : 0;
    out->halted = st == 'T' || st == 't' || st == 'Z' || st == 'X';
}

void clo_super_set_giver(clo_super *s, clo_super *giver)
{
    s->giver = giver;
}

void clo_super_free(clo_super *s)
{
    if (!s) return;
    if (s->fd >= 0) {
        clo_err e = raw_call(s, CLO_CALL_SHUTDOWN, CLO_BYTES_EMPTY, NULL);
        (void)e;
        close(s->fd);
        s->fd = -1;
        /* A clean exit takes milliseconds; do not hang on one that does not come. */
        for (int i = 0; i < 500 && s->pid > 0; i++) {
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
                s->pid = 0;
            else
                usleep(10000);
        }
        kill_enclave(s);
    }
    clo_buf_free(&s->in);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->snap_mu);
    free(s);
}
