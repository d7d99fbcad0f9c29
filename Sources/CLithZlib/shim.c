#include "CLithZlib.h"
#include <limits.h>
#include <zlib.h>

int lith_gunzip(const void *input, size_t input_length, void *output, size_t capacity, size_t *output_length) {
    // zlib counts in unsigned ints; nothing Lith inflates comes near that.
    if (input_length > UINT_MAX || capacity > UINT_MAX) return LITH_GUNZIP_TOO_LARGE;
    z_stream stream = {0};
    // 16 + MAX_WBITS: gzip framing only (header and CRC-32 checked), not zlib or raw deflate.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return LITH_GUNZIP_FAILED;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)input_length;
    stream.next_out = (Bytef *)output;
    stream.avail_out = (uInt)capacity;
    // One call: the whole input is here and the output can't grow, so
    // anything short of the stream's end is an error of one kind or another.
    int status = inflate(&stream, Z_FINISH);
    size_t written = capacity - stream.avail_out;
    int leftover = stream.avail_in != 0;
    inflateEnd(&stream);
    if (status == Z_STREAM_END && !leftover) {
        *output_length = written;
        return LITH_GUNZIP_OK;
    }
    // Output full before the end: the stream wants more room than allowed.
    if (status != Z_STREAM_END && stream.avail_out == 0) return LITH_GUNZIP_TOO_LARGE;
    if (status == Z_MEM_ERROR) return LITH_GUNZIP_FAILED;
    return LITH_GUNZIP_CORRUPT;  // Z_DATA_ERROR, a truncated stream (Z_BUF_ERROR), or trailing bytes
}
