/* problem.h — a refusal of an API request, as an RFC 9457 problem document
 * (docs/api.yaml): HTTP status, problem code and a fixed detail. The body
 * parsers (submit.h, secrets.h) decide these from the body alone. */
#ifndef CLO_HOST_PROBLEM_H
#define CLO_HOST_PROBLEM_H

typedef struct {
    unsigned status;
    const char *code, *detail; /* static strings: never input */
} clo_problem;

/* Fill *p and return -1, the parsers' refusal. */
static inline int clo_refuse(clo_problem *p, unsigned status, const char *code, const char *detail)
{
    p->status = status;
    p->code = code;
    p->detail = detail;
    return -1;
}

#endif
