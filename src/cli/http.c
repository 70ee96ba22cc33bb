/* http.c — the CLI's HTTP client for the node API (libcurl). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    clo_buf *b = ud;
    return clo_buf_append(b, p, size * n).code ? 0 : size * n;
}

json_t *cli_http_json(const char *method, const char *url, const char *body, long *status)
{
    CURL *h = curl_easy_init();
    clo_buf b;
    json_t *doc = NULL;
    struct curl_slist *hdrs = NULL;
    clo_buf_init(&b, 64u << 20);
    *status = 0;
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "error: %s %s: %s\n", method, url, curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        doc = json_loadb((const char *)b.ptr, b.len, 0, NULL);
        if (!doc) fprintf(stderr, "error: %s %s: the node's answer is not JSON\n", method, url);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    clo_buf_free(&b);
    return doc;
}
