/* printf-style text appended to a fixed buffer, cut at its end: never past it, never without its NUL. */
#ifndef APPENDF_H
#define APPENDF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Appends to buf (len > 0 bytes, holding used bytes of text); returns the new length, at most len - 1 (the text
 * cut there: appendf_cut says so). */
static inline __attribute__((format(printf, 4, 5))) size_t appendf(char *buf, size_t len, size_t used,
                                                                   const char *fmt, ...)
{
    if (used >= len - 1)
        return len - 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return used;
    return (size_t)n < len - 1 - used ? used + (size_t)n : len - 1;
}

/* 1 when appends to a buffer of len bytes that now holds used bytes may have been cut. */
static inline int appendf_cut(size_t len, size_t used) { return used >= len - 1; }

#endif
