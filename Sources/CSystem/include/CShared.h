// Memory shared between the master and its workers: a memfd the master creates and passes on
// like a listener (SCM_RIGHTS, and across its own re-exec), mapped by every process, read and
// written only with sequentially consistent atomics (Swift has no atomics on raw shared memory).
#ifndef CSHARED_H
#define CSHARED_H

#include <stddef.h>
#include <stdint.h>

/// An anonymous memory file of `size` zero bytes (memfd_create with MFD_CLOEXEC; sealed against
/// shrinking so a mapping can never fault). Returns the fd or -1 with errno.
int csys_memfd(const char *name, size_t size);

/// The size of the file behind `fd`, or -1 with errno.
int64_t csys_fd_size(int fd);

/// Maps `size` bytes of `fd` shared and read-write. NULL with errno on failure.
void *csys_map_shared(int fd, size_t size);

/// Maps `size` zero bytes shared and anonymous (for tests: no file). NULL with errno on failure.
void *csys_map_anonymous(size_t size);

/// munmap. Returns 0 or -1 with errno.
int csys_unmap(void *p, size_t size);

/// Sequentially consistent atomics on an aligned 64-bit word.
int64_t csys_atomic_load(const int64_t *p);
void csys_atomic_store(int64_t *p, int64_t v);
/// Adds `delta` and returns the new value.
int64_t csys_atomic_add(int64_t *p, int64_t delta);
/// Stores `desired` if the word holds `expected`; returns 1 when it did, else 0.
int csys_atomic_cas(int64_t *p, int64_t expected, int64_t desired);

#endif
