/* timefmt.c — RFC 3339 UTC timestamps (civil-date arithmetic after H. Hinnant). */
#include "base/timefmt.h"

#include <stdio.h>
#include <string.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

clo_err clo_time_parse(const char *s, int64_t *out)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, se;
    CLO_ENSURE(s && strlen(s) >= 20, CLO_E_FORMAT, "time: not an RFC 3339 timestamp");
    CLO_ENSURE(digits(s, 4, &y) && s[4] == '-' && digits(s + 5, 2, &mo) && s[7] == '-' &&
                   digits(s + 8, 2, &d) && (s[10] == 'T' || s[10] == 't') &&
                   digits(s + 11, 2, &h) && s[13] == ':' && digits(s + 14, 2, &mi) &&
                   s[16] == ':' && digits(s + 17, 2, &se),
               CLO_E_FORMAT, "time: not an RFC 3339 timestamp");
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        CLO_ENSURE(*p >= '0' && *p <= '9', CLO_E_FORMAT, "time: empty fraction");
        while (*p >= '0' && *p <= '9') p++;
    }
    CLO_ENSURE((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0', CLO_E_FORMAT,
               "time: only UTC ('Z') timestamps are accepted");
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    CLO_ENSURE(mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
                   (mo != 2 || d <= 28u + (unsigned)leap) && h < 24 && mi < 60 && se < 61,
               CLO_E_FORMAT, "time: field out of range");
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se);
    return CLO_OK;
}

clo_err clo_time_parse_http(const char *s, size_t len, int64_t *out)
{
    static const char days[] = "MonTueWedThuFriSatSun",
                      months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned d, y, h, mi, se, mo = 0;
    int day_ok = 0;
    CLO_ENSURE(s && len == 29, CLO_E_FORMAT, "time: not an IMF-fixdate");
    for (int i = 0; i < 7; i++) day_ok |= memcmp(s, days + 3 * i, 3) == 0;
    for (unsigned i = 0; i < 12 && !mo; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0) mo = i + 1;
    CLO_ENSURE(day_ok && s[3] == ',' && s[4] == ' ' && digits(s + 5, 2, &d) && s[7] == ' ' && mo &&
                   s[11] == ' ' && digits(s + 12, 4, &y) && s[16] == ' ' && digits(s + 17, 2, &h) &&
                   s[19] == ':' && digits(s + 20, 2, &mi) && s[22] == ':' &&
                   digits(s + 23, 2, &se) && memcmp(s + 25, " GMT", 4) == 0,
               CLO_E_FORMAT, "time: not an IMF-fixdate");
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    CLO_ENSURE(d >= 1 && d <= mdays[mo - 1] && (mo != 2 || d <= 28u + (unsigned)leap) && h < 24 &&
                   mi < 60 && se < 61,
               CLO_E_FORMAT, "time: field out of range");
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se);
    return CLO_OK;
}

void clo_time_format(int64_t t, char out[CLO_TIME_STRING_SIZE])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, rem = t - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) {
        snprintf(out, CLO_TIME_STRING_SIZE, "out-of-range");
        return;
    }
    char tmp[64]; /* the compiler cannot see the fields' ranges; format wide, copy exact */
    snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m % 100, d % 100,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    memcpy(out, tmp, CLO_TIME_STRING_SIZE - 1);
    out[CLO_TIME_STRING_SIZE - 1] = '\0';
}
