/* x509_test.c — our certificate parser against OpenSSL's, as an oracle, on every
 * certificate we have (Intel and AMD test vectors, the chains inside the quotes,
 * the built-in anchors, simulated ones): validity, CA flag, key, extensions, and
 * the verdict of every issuer/subject signature check. Then malformed input. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/pem.h"
#include "crypto/x509.h"
#include "tv.h"

#define MAX_CERTS 256

static clo_buf g_der[MAX_CERTS];
static size_t g_n;

static clo_err collect(void *ctx, const char *label, clo_bytes der)
{
    (void)ctx;
    if (strcmp(label, "CERTIFICATE") == 0 && g_n < MAX_CERTS) {
        clo_buf_init(&g_der[g_n], der.len);
        CLO_TRY(clo_buf_append_bytes(&g_der[g_n], der));
        g_n++;
    }
    return CLO_OK;
}

/* Every certificate under a directory tree: .der files that are certificates, PEM
 * blocks anywhere (including the PEM chains inside quotes). */
static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d))) {
        char path[2048];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            walk(path);
            continue;
        }
        clo_buf f = tv_read_file(path);
        size_t blocks;
        CLO_IGNORE(clo_pem_foreach(clo_buf_view(&f), collect, NULL, &blocks));
        const unsigned char *p = f.ptr;
        X509 *x = strstr(e->d_name, ".der") ? d2i_X509(NULL, &p, (long)f.len) : NULL;
        if (x && p == f.ptr + f.len) CLO_IGNORE(collect(NULL, "CERTIFICATE", clo_buf_view(&f)));
        X509_free(x);
        clo_buf_free(&f);
    }
    closedir(d);
}

static int64_t ossl_time(const ASN1_TIME *t)
{
    struct tm tm;
    assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
    return (int64_t)timegm(&tm);
}

static void test_fields_match_openssl(void **state)
{
    (void)state;
    walk(tv_path("intel-dcap"));
    walk(tv_path("amd-sev-snp"));
    printf("  %zu certificates\n", g_n);
    assert_true(g_n > 60);
    for (size_t i = 0; i < g_n; i++) {
        const unsigned char *p = g_der[i].ptr;
        X509 *x = d2i_X509(NULL, &p, (long)g_der[i].len);
        clo_x509 *c;
        assert_non_null(x);
        assert_int_equal(clo_x509_parse(clo_buf_view(&g_der[i]), &c).code, CLO_OK_CODE);
        assert_int_equal(clo_x509_not_before(c), ossl_time(X509_get0_notBefore(x)));
        assert_int_equal(clo_x509_not_after(c), ossl_time(X509_get0_notAfter(x)));
        assert_int_equal(clo_x509_is_ca(c), (X509_get_extension_flags(x) & EXFLAG_CA) != 0);
        char cn1[128], cn2[128] = "";
        clo_x509_subject_cn(c, cn1, sizeof cn1);
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn2, sizeof cn2);
        assert_string_equal(cn1, cn2);
        EVP_PKEY *k = X509_get0_pubkey(x);
        if (EVP_PKEY_is_a(k, "EC")) {
            uint8_t pt[97];
            size_t n;
            unsigned char *enc = NULL;
            size_t en = EVP_PKEY_get1_encoded_public_key(k, &enc);
            assert_int_equal(clo_x509_ec_point(c, pt, sizeof pt, &n).code, CLO_OK_CODE);
            assert_int_equal(n, en);
            assert_memory_equal(pt, enc, n);
            OPENSSL_free(enc);
        }
        /* every extension OpenSSL sees, we see with the same value */
        for (int e = 0; e < X509_get_ext_count(x); e++) {
            X509_EXTENSION *ext = X509_get_ext(x, e);
            char oid[128];
            clo_bytes v;
            OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 1);
            assert_int_equal(clo_x509_extension(c, oid, &v).code, CLO_OK_CODE);
            ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(ext);
            assert_int_equal(v.len, (size_t)ASN1_STRING_length(d));
            assert_memory_equal(v.ptr, ASN1_STRING_get0_data(d), v.len);
        }
        clo_x509_free(c);
        X509_free(x);
    }
}

/* For every pair whose names chain, our verdict equals OpenSSL's signature check. */
static void test_signature_verdicts_match_openssl(void **state)
{
    (void)state;
    size_t chained = 0, valid = 0;
    for (size_t i = 0; i < g_n; i++) {
        for (size_t j = 0; j < g_n; j++) {
            const unsigned char *p = g_der[i].ptr, *q = g_der[j].ptr;
            X509 *sub = d2i_X509(NULL, &p, (long)g_der[i].len),
                 *iss = d2i_X509(NULL, &q, (long)g_der[j].len);
            if (X509_NAME_cmp(X509_get_issuer_name(sub), X509_get_subject_name(iss)) != 0 ||
                !(X509_get_extension_flags(iss) & EXFLAG_CA)) {
                X509_free(sub);
                X509_free(iss);
                continue;
            }
            clo_x509 *cs, *ci;
            assert_int_equal(clo_x509_parse(clo_buf_view(&g_der[i]), &cs).code, CLO_OK_CODE);
            assert_int_equal(clo_x509_parse(clo_buf_view(&g_der[j]), &ci).code, CLO_OK_CODE);
            int theirs = X509_verify(sub, X509_get0_pubkey(iss)) == 1;
            int ours = clo_x509_check_issued_by(cs, ci).code == CLO_OK_CODE;
            if (theirs != ours)
                fail_msg("cert %zu by %zu: OpenSSL %d, ours %d", i, j, theirs, ours);
            chained++;
            valid += ours;
            if (ours) {
                /* the same pair with the subject's signature, then its signed body, altered:
                 * both verdicts must turn to "invalid" */
                size_t offs[2] = {g_der[i].len - 2, g_der[i].len / 3};
                for (int k = 0; k < 2; k++) {
                    clo_buf m;
                    clo_x509 *cm = NULL;
                    clo_buf_init(&m, g_der[i].len);
                    assert_int_equal(clo_buf_append_bytes(&m, clo_buf_view(&g_der[i])).code,
                                     CLO_OK_CODE);
                    m.ptr[offs[k]] ^= 0x01;
                    const unsigned char *mp = m.ptr;
                    X509 *xm = d2i_X509(NULL, &mp, (long)m.len);
                    int t2 = xm && X509_verify(xm, X509_get0_pubkey(iss)) == 1;
                    int o2 = clo_x509_parse(clo_buf_view(&m), &cm).code == CLO_OK_CODE &&
                             clo_x509_check_issued_by(cm, ci).code == CLO_OK_CODE;
                    if (o2 || t2)
                        fail_msg("altered cert %zu (byte %zu) accepted: OpenSSL %d, ours %d", i,
                                 offs[k], t2, o2);
                    clo_x509_free(cm);
                    X509_free(xm);
                    clo_buf_free(&m);
                }
            }
            clo_x509_free(cs);
            clo_x509_free(ci);
            X509_free(sub);
            X509_free(iss);
        }
    }
    printf("  %zu issuer/subject pairs compared, %zu valid signatures, all verdicts equal\n",
           chained, valid);
    assert_true(valid > 50);
}

static void test_malformed(void **state)
{
    (void)state;
    clo_x509 *c;
    clo_buf d;
    clo_buf_init(&d, 1 << 16);
    assert_int_equal(clo_buf_append_bytes(&d, clo_buf_view(&g_der[0])).code, CLO_OK_CODE);
    /* every truncation */
    for (size_t n = 0; n < d.len; n++)
        assert_int_not_equal(clo_x509_parse(CLO_BYTES(d.ptr, n), &c).code, CLO_OK_CODE);
    /* trailing byte */
    assert_int_equal(clo_buf_u8(&d, 0).code, CLO_OK_CODE);
    clo_err e = clo_x509_parse(clo_buf_view(&d), &c);
    assert_string_equal(e.what, "x509: trailing bytes after certificate");
    d.len--;
    /* the outer signature algorithm must equal the inner one: swap SHA256 -> SHA384 in the outer
     * copy */
    static const uint8_t sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    uint8_t *last = NULL;
    for (size_t k = 0; k + sizeof sha256 <= d.len; k++)
        if (memcmp(d.ptr + k, sha256, sizeof sha256) == 0) last = d.ptr + k;
    if (last) {
        last[7] = 0x03;
        e = clo_x509_parse(clo_buf_view(&d), &c);
        assert_int_not_equal(e.code, CLO_OK_CODE);
        last[7] = 0x02;
    }
    /* an unknown critical extension: turn the SGX/AMD-free basicConstraints OID into an unknown one
     */
    static const uint8_t bc[] = {0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff};
    for (size_t k = 0; k + sizeof bc <= d.len; k++)
        if (memcmp(d.ptr + k, bc, sizeof bc) == 0) {
            d.ptr[k + 4] = 0x7f; /* 2.5.29.127 */
            e = clo_x509_parse(clo_buf_view(&d), &c);
            assert_string_equal(e.what, "x509: unrecognised critical extension");
            d.ptr[k + 4] = 0x13;
            break;
        }
    assert_int_equal(clo_x509_parse(clo_buf_view(&d), &c).code, CLO_OK_CODE);
    clo_x509_free(c);
    clo_buf_free(&d);
    for (size_t i = 0; i < g_n; i++) clo_buf_free(&g_der[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_match_openssl),
        cmocka_unit_test(test_signature_verdicts_match_openssl),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
