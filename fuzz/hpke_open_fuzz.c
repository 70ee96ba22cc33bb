/* hpke_open_fuzz.c — the HPKE receiver on untrusted bytes.
 * Input layout: u8 aead selector | u8 mode | enc[32] | u16 aad_len | aad | ct.
 * Runs setup_receiver + open + export with a fixed recipient key (and fixed
 * sender key / PSK for the auth and psk modes). A failed open must leave the
 * plaintext wiped. */
#include <stdlib.h>

#include "base/ct.h"
#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static clo_x25519_key *recipient, *sender;
    static const uint8_t psk[32] = {0x70, 0x73, 0x6b};
    static const uint16_t aeads[4] = {CLO_HPKE_AEAD_AES128GCM, CLO_HPKE_AEAD_AES256GCM,
                                      CLO_HPKE_AEAD_CHACHA20POLY1305, CLO_HPKE_AEAD_EXPORT_ONLY};
    if (!recipient) {
        recipient = fuzz_key("recipient");
        sender = fuzz_key("sender");
        if (!recipient || !sender) abort();
    }
    clo_cur c = clo_cur_init(CLO_BYTES(data, size));
    uint8_t sel, mode;
    uint16_t aad_len;
    clo_bytes enc, aad;
    if (clo_cur_u8(&c, &sel).code || clo_cur_u8(&c, &mode).code ||
        clo_cur_take(&c, 32, &enc).code || clo_cur_u16be(&c, &aad_len).code ||
        clo_cur_take(&c, aad_len, &aad).code)
        return 0;
    clo_bytes ct = CLO_BYTES(data + c.off, clo_cur_left(&c));
    clo_hpke_suite s = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256, aeads[sel & 3]};
    clo_hpke_opts o = {.mode = (clo_hpke_mode)(mode & 3)};
    if (o.mode == CLO_HPKE_MODE_PSK || o.mode == CLO_HPKE_MODE_AUTH_PSK) {
        o.psk = CLO_BYTES(psk, sizeof psk);
        o.psk_id = CLO_BYTES("fuzz", 4);
    }
    if (o.mode == CLO_HPKE_MODE_AUTH || o.mode == CLO_HPKE_MODE_AUTH_PSK)
        o.sender_pk = clo_x25519_key_public(sender);

    clo_hpke_ctx ctx;
    if (clo_hpke_setup_receiver(&ctx, s, recipient, enc.ptr, CLO_BYTES("fuzz info", 9), &o).code)
        return 0;
    uint8_t *pt = malloc(ct.len + 1);
    if (!pt) abort();
    if (clo_hpke_open(&ctx, aad, ct, pt).code != CLO_OK_CODE && ct.len >= 16 &&
        s.aead != CLO_HPKE_AEAD_EXPORT_ONLY && !clo_ct_is_zero(pt, ct.len - 16))
        abort();
    uint8_t exp[64];
    if (clo_hpke_export(&ctx, aad, exp, sizeof exp).code) abort();
    clo_hpke_ctx_wipe(&ctx);
    free(pt);
    return 0;
}
