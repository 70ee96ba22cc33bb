/* http.c — JSON over HTTP with libcurl. */
#include "chain/http.h"

#include <curl/curl.h>
#include <stdio.h>

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    clo_buf *b = ud;
    return clo_buf_append(b, p, size * n).code ? 0 : size * n;
}

clo_err clo_http_json(const char *method, const char *url, const char *body, long timeout_ms,
                      long *status, json_t **doc)
{
    return clo_http_send(method, url, body ? "application/json" : NULL,
                         body ? clo_bytes_str(body) : CLO_BYTES_EMPTY, timeout_ms, status, doc);
}

clo_err clo_http_send(const char *method, const char *url, const char *content_type, clo_bytes body,
                      long timeout_ms, long *status, json_t **doc)
{
    CURL *h = curl_easy_init();
    clo_buf b;
    struct curl_slist *hdrs = NULL;
    clo_err err = CLO_OK;
    *status = 0;
    *doc = NULL;
    CLO_ENSURE(h, CLO_E_NOMEM, "http");
    clo_buf_init(&b, CLO_HTTP_MAX_REPLY);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (content_type) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
        hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.len ? (const char *)body.ptr : "");
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        err = CLO_ERR(CLO_E_IO, curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        *doc = json_loadb((const char *)b.ptr, b.len, 0, NULL);
        if (!*doc) err = CLO_ERR(CLO_E_FORMAT, "http: the answer is not JSON");
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    clo_buf_free(&b);
    return err;
}
