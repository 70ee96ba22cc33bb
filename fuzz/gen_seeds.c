/* gen_seeds.c — writes the seed corpora: valid envelopes of every kind and
 * suite for fuzz_keys.h's keys, and valid HPKE messages in every mode, so the
 * fuzzers begin with inputs that reach the deepest code.
 * Usage: gen_seeds CORPUS_DIR (creates envelope/ and hpke_open/ below it). */
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz_keys.h"

static void put(const char *dir, const char *name, clo_bytes v)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v.ptr, 1, v.len, f) != v.len) {
        perror(path);
        return;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    char env_dir[4096], hpke_dir[4096], name[64];
    snprintf(env_dir, sizeof env_dir, "%s/envelope", argv[1]);
    snprintf(hpke_dir, sizeof hpke_dir, "%s/hpke_open", argv[1]);
    mkdir(env_dir, 0755);
    mkdir(hpke_dir, 0755);
    clo_x25519_key *enclave = fuzz_key("enclave"), *recipient = fuzz_key("recipient"),
                   *sender = fuzz_key("sender");
    clo_envelope_binding b = fuzz_binding();
    clo_envelope_reply_key rk = fuzz_reply_key();
    static const uint16_t aeads[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        clo_hpke_suite s = {0x20, 1, aeads[i]};
        clo_buf out;
        clo_buf_init(&out, 1 << 20);
        if (clo_envelope_request_seal(&out, NULL, &b, s, clo_x25519_key_public(enclave),
                                      clo_bytes_str("seed request payload"))
                .code)
            return 1;
        snprintf(name, sizeof name, "request-%d", aeads[i]);
        put(env_dir, name, clo_buf_view(&out));
        clo_buf_clear(&out);
        if (clo_envelope_reply_seal_to(&out, enclave, &b, s, clo_x25519_key_public(recipient),
                                       clo_bytes_str("seed reply-to"))
                .code)
            return 1;
        snprintf(name, sizeof name, "reply-to-%d", aeads[i]);
        put(env_dir, name, clo_buf_view(&out));
        clo_buf_free(&out);
    }
    clo_buf out;
    clo_buf_init(&out, 1 << 20);
    if (clo_envelope_reply_seal(&out, &rk, clo_bytes_str("seed reply")).code) return 1;
    put(env_dir, "reply-3", clo_buf_view(&out));
    /* A stream: its header, then its two chunks (5000 bytes in 4 KiB chunks). */
    {
        static uint8_t payload[5000];
        clo_envelope_stream st;
        clo_hpke_suite s = {0x20, 1, 2};
        clo_buf_clear(&out);
        for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7);
        if (clo_envelope_stream_seal_init(&st, &b, s, clo_x25519_key_public(enclave),
                                          sizeof payload, 4096)
                .code ||
            clo_buf_append(&out, st.header, sizeof st.header).code ||
            clo_envelope_stream_seal_chunk(&st, CLO_BYTES(payload, 4096), &out).code ||
            clo_envelope_stream_seal_chunk(&st, CLO_BYTES(payload + 4096, 904), &out).code)
            return 1;
        clo_envelope_stream_wipe(&st);
        put(env_dir, "stream-2", clo_buf_view(&out));
    }
    clo_buf_free(&out);

    static const uint8_t psk[32] = {0x70, 0x73, 0x6b};
    for (int sel = 0; sel < 4; sel++) {
        for (int mode = 0; mode < 4; mode++) {
            uint16_t aead = sel == 3 ? 0xffff : aeads[sel];
            clo_hpke_suite s = {0x20, 1, aead};
            clo_hpke_opts o = {.mode = (clo_hpke_mode)mode};
            if (mode & 1) {
                o.psk = CLO_BYTES(psk, 32);
                o.psk_id = CLO_BYTES("fuzz", 4);
            }
            if (mode & 2) o.sender_key = sender;
            clo_hpke_ctx ctx;
            uint8_t msg[2 + 32 + 2 + 3 + 16 + 16];
            msg[0] = (uint8_t)sel;
            msg[1] = (uint8_t)mode;
            if (clo_hpke_setup_sender(&ctx, s, clo_x25519_key_public(recipient),
                                      CLO_BYTES("fuzz info", 9), &o, msg + 2)
                    .code)
                return 1;
            msg[34] = 0;
            msg[35] = 3;
            memcpy(msg + 36, "aad", 3);
            size_t n = 39;
            if (aead != 0xffff) {
                if (clo_hpke_seal(&ctx, CLO_BYTES("aad", 3), CLO_BYTES("sixteen byte msg", 16),
                                  msg + 39)
                        .code)
                    return 1;
                n += 32;
            }
            clo_hpke_ctx_wipe(&ctx);
            snprintf(name, sizeof name, "aead%d-mode%d", sel, mode);
            put(hpke_dir, name, CLO_BYTES(msg, n));
        }
    }
    clo_x25519_key_free(enclave);
    clo_x25519_key_free(recipient);
    clo_x25519_key_free(sender);
    return 0;
}
