#ifndef CLITHZLIB_H
#define CLITHZLIB_H

#include <stddef.h>

#define LITH_GUNZIP_OK 0
#define LITH_GUNZIP_CORRUPT 1    // not gzip, truncated, bad checksum, or bytes after the end
#define LITH_GUNZIP_TOO_LARGE 2  // would inflate past `capacity`
#define LITH_GUNZIP_FAILED 3     // zlib couldn't start (out of memory)

/// Inflates the one gzip member in `input` into `output`, writing at most
/// `capacity` bytes: a stream that would inflate further is refused, so a
/// corrupt or hostile file can't make the caller allocate more.
/// Foundation on Linux has no gzip API, hence this shim over zlib.
/// On LITH_GUNZIP_OK, `*output_length` is the number of bytes written.
int lith_gunzip(const void *input, size_t input_length, void *output, size_t capacity, size_t *output_length);

#endif
