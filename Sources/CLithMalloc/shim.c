#include "CLithMalloc.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>

int lith_fix_mmap_threshold(int bytes) {
    // Both, as the MALLOC_*_THRESHOLD_ variables do: either one turns off
    // glibc's dynamic adjustment, and the trim threshold decides whether
    // freed memory at the top of an arena goes back.
    int mmap = mallopt(M_MMAP_THRESHOLD, bytes);
    int trim = mallopt(M_TRIM_THRESHOLD, bytes);
    return mmap && trim;
}
#else
int lith_fix_mmap_threshold(int bytes) {
    (void)bytes;
    return 0;
}
#endif
