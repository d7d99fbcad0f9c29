#ifndef CLITHMALLOC_H
#define CLITHMALLOC_H

/// Fixes glibc's mmap threshold at `bytes` (see Sources/lith/main.swift for
/// why). Returns 1 on success, 0 where the C library has no such setting.
int lith_fix_mmap_threshold(int bytes);

#endif
