// glibc's <malloc.h> (mallopt, mallinfo2, malloc_trim), which Swift's Glibc module leaves out.
#include <malloc.h>
