/* eth_test.c — Keccak-256 and secp256k1 against the Keccak team KAT and the
 * Ethereum vectors that apply to the crypto layer (key -> address, EIP-712 and
 * EIP-155 example signatures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/hex.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "tv.h"

static void test_keccak_kat(void **state)
{
    (void)state;
    clo_buf file = tv_read_file(tv_path("ethereum/keccak/ShortMsgKAT_256.txt"));
    assert_int_equal(clo_buf_u8(&file, 0).code, CLO_OK_CODE);
    char *text = (char *)file.ptr, *save = NULL;
    long len = -1;
    clo_buf msg = {0};
    size_t ran = 0, bit_oriented = 0;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (strncmp(line, "Len = ", 6) == 0) {
            len = strtol(line + 6, NULL, 10);
        } else if (strncmp(line, "Msg = ", 6) == 0) {
            clo_buf_free(&msg);
            msg = tv_hex_str(line + 6);
        } else if (strncmp(line, "MD = ", 5) == 0) {
            if (len % 8 != 0) { /* bit-oriented entries do not apply to a byte API */
                bit_oriented++;
                continue;
            }
            clo_buf want = tv_hex_str(line + 5);
            uint8_t got[32];
            clo_keccak256(CLO_BYTES(msg.ptr, (size_t)len / 8), got);
            tv_assert_bytes("keccak256", CLO_BYTES(got, 32), clo_buf_view(&want));
            /* the streaming API, fed in uneven pieces, agrees */
            clo_keccak_ctx c;
            clo_keccak256_init(&c);
            size_t n = (size_t)len / 8;
            for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 % 97 + 1)
                clo_keccak256_update(&c, CLO_BYTES(msg.ptr + off, step < n - off ? step : n - off));
            clo_keccak256_final(&c, got);
            tv_assert_bytes("keccak256 streaming", CLO_BYTES(got, 32), clo_buf_view(&want));
            clo_buf_free(&want);
            ran++;
        }
    }
    printf("Keccak-256 KAT: %zu byte-aligned entries passed (%zu bit-oriented not applicable)\n",
           ran, bit_oriented);
    assert_int_equal(ran, 256);
    clo_buf_free(&msg);
    clo_buf_free(&file);
}

static void test_key_to_address(void **state)
{
    (void)state;
    json_t *all = tv_json("ethereum/keccak/keyaddrtest.json");
    const json_t *v;
    size_t i;
    json_array_foreach(all, i, v)
    {
        clo_secret32 sk;
        uint8_t pub[65], addr[20];
        const char *seed = tv_str(v, "seed");
        clo_buf key = tv_hex(v, "key"), want = tv_hex(v, "addr");
        clo_keccak256(clo_bytes_str(seed), sk.b); /* the file's rule: key = keccak256(seed) */
        tv_assert_bytes("key", CLO_BYTES(sk.b, 32), clo_buf_view(&key));
        assert_int_equal(clo_secp256k1_pubkey(&sk, pub).code, CLO_OK_CODE);
        assert_int_equal(clo_eth_address(pub, addr).code, CLO_OK_CODE);
        tv_assert_bytes("address", CLO_BYTES(addr, 20), clo_buf_view(&want));
        clo_buf_free(&key);
        clo_buf_free(&want);
    }
    assert_true(i > 0);
    json_decref(all);
}

/* Sign `digest` with sk; expect r, s and recovery id; recover the expected address. */
static void sign_and_recover(const clo_secret32 *sk, const uint8_t digest[32], clo_bytes r,
                             clo_bytes s, int recid, clo_bytes addr_want)
{
    uint8_t sig[65], pub[65], addr[20];
    assert_int_equal(clo_secp256k1_sign(sk, digest, sig).code, CLO_OK_CODE);
    tv_assert_bytes("r", CLO_BYTES(sig, 32), r);
    tv_assert_bytes("s", CLO_BYTES(sig + 32, 32), s);
    assert_int_equal(sig[64], recid);
    assert_int_equal(clo_secp256k1_recover(digest, sig, pub).code, CLO_OK_CODE);
    assert_int_equal(clo_eth_address(pub, addr).code, CLO_OK_CODE);
    tv_assert_bytes("recovered address", CLO_BYTES(addr, 20), addr_want);

    /* The malleable twin (n - s, flipped recovery id) recovers the same key on
     * paper; we refuse it. */
    static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                  0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    uint8_t hi[65];
    memcpy(hi, sig, 65);
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - sig[32 + i] - borrow;
        borrow = d < 0;
        hi[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    hi[64] ^= 1;
    assert_int_equal(clo_secp256k1_recover(digest, hi, pub).code, CLO_E_AUTH);
    /* A different digest recovers a different address. */
    uint8_t other[32];
    memcpy(other, digest, 32);
    other[0] ^= 1;
    if (clo_secp256k1_recover(other, sig, pub).code == CLO_OK_CODE) {
        assert_int_equal(clo_eth_address(pub, addr).code, CLO_OK_CODE);
        assert_false(clo_bytes_eq(CLO_BYTES(addr, 20), addr_want));
    }
}

static void test_eip712_mail_signature(void **state)
{
    (void)state;
    json_t *doc = tv_json("ethereum/eip712/mail_example.json");
    const json_t *exp = json_object_get(doc, "expected");
    uint8_t h[32], pre[66];
    /* typeHash = keccak256(encodeType); hashStruct = keccak256(encodeData) */
    clo_buf type_hash = tv_hex(exp, "typeHash_Mail"), data = tv_hex(exp, "encodeData_Mail"),
            hs = tv_hex(exp, "hashStruct_Mail"), ds = tv_hex(exp, "domainSeparator"),
            sh = tv_hex(exp, "signHash"), addr = tv_hex(exp, "signerAddress");
    clo_keccak256(clo_bytes_str(tv_str(exp, "encodeType_Mail")), h);
    tv_assert_bytes("typeHash", CLO_BYTES(h, 32), clo_buf_view(&type_hash));
    clo_keccak256(clo_buf_view(&data), h);
    tv_assert_bytes("hashStruct", CLO_BYTES(h, 32), clo_buf_view(&hs));
    /* digest = keccak256(0x19 0x01 || domainSeparator || hashStruct) */
    pre[0] = 0x19;
    pre[1] = 0x01;
    memcpy(pre + 2, ds.ptr, 32);
    memcpy(pre + 34, hs.ptr, 32);
    clo_keccak256(CLO_BYTES(pre, sizeof pre), h);
    tv_assert_bytes("signHash", CLO_BYTES(h, 32), clo_buf_view(&sh));

    const char *pk_text = strstr(tv_str(exp, "privateKey"), "0x");
    assert_non_null(pk_text);
    clo_secret32 sk;
    assert_int_equal(clo_hex_decode_fixed(sk.b, 32, pk_text).code, CLO_OK_CODE);
    const json_t *sig = json_object_get(exp, "signature");
    clo_buf r = tv_hex(sig, "r"), s = tv_hex(sig, "s");
    sign_and_recover(&sk, h, clo_buf_view(&r), clo_buf_view(&s), (int)tv_int(sig, "v") - 27,
                     clo_buf_view(&addr));
    clo_buf bufs[] = {type_hash, data, hs, ds, sh, addr, r, s};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clo_buf_free(&bufs[i]);
    json_decref(doc);
}

static void test_eip155_signature(void **state)
{
    (void)state;
    json_t *doc = tv_json("ethereum/eip155/example.json");
    clo_buf data = tv_hex(doc, "signingData"), hash = tv_hex(doc, "signingHash"),
            r = tv_hex(doc, "r_hex"), s = tv_hex(doc, "s_hex"), addr = tv_hex(doc, "senderAddress");
    uint8_t h[32];
    clo_secret32 sk;
    clo_keccak256(clo_buf_view(&data), h);
    tv_assert_bytes("signingHash", CLO_BYTES(h, 32), clo_buf_view(&hash));
    assert_int_equal(clo_hex_decode_fixed(sk.b, 32, tv_str(doc, "privateKey")).code, CLO_OK_CODE);
    long long chain = tv_int(json_object_get(doc, "tx"), "chainId");
    int recid =
        (int)(tv_int(doc, "v") - (chain * 2 + 35)); /* EIP-155: v = recid + 2*chainId + 35 */
    sign_and_recover(&sk, h, clo_buf_view(&r), clo_buf_view(&s), recid, clo_buf_view(&addr));
    clo_buf bufs[] = {data, hash, r, s, addr};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clo_buf_free(&bufs[i]);
    json_decref(doc);
}

static void test_secp256k1_negative(void **state)
{
    (void)state;
    clo_secret32 zero = {{0}}, sk;
    uint8_t pub[65], sig[65], d[32] = {1}, addr[20];
    assert_int_equal(clo_secp256k1_pubkey(&zero, pub).code, CLO_E_KEY);
    assert_int_equal(clo_secp256k1_sign(&zero, d, sig).code, CLO_E_KEY);
    assert_int_equal(clo_secp256k1_keygen(&sk).code, CLO_OK_CODE);
    assert_int_equal(clo_secp256k1_sign(&sk, d, sig).code, CLO_OK_CODE);
    sig[64] = 4;
    assert_int_equal(clo_secp256k1_recover(d, sig, pub).code, CLO_E_FORMAT);
    memset(sig, 0xff, 64); /* r, s >= n */
    sig[64] = 0;
    assert_int_equal(clo_secp256k1_recover(d, sig, pub).code, CLO_E_FORMAT);
    pub[0] = 0x02;
    assert_int_equal(clo_eth_address(pub, addr).code, CLO_E_KEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secp256k1_negative), cmocka_unit_test(test_keccak_kat),
        cmocka_unit_test(test_key_to_address),     cmocka_unit_test(test_eip712_mail_signature),
        cmocka_unit_test(test_eip155_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
