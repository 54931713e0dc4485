// glibc's <malloc.h> (mallinfo2 for the memory gauges), which Swift's Glibc module leaves out.
#include <malloc.h>
