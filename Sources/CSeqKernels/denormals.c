#include "CSeqKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define SEQKIT_FTZ_DAZ 0x8040u /* bit 15 FTZ, bit 6 DAZ */
void seqkit_flush_denormals_to_zero(void) { _mm_setcsr(_mm_getcsr() | SEQKIT_FTZ_DAZ); }
int seqkit_flushes_denormals(void) { return (_mm_getcsr() & SEQKIT_FTZ_DAZ) == SEQKIT_FTZ_DAZ; }
unsigned long long seqkit_fp_control(void) { return _mm_getcsr(); }
void seqkit_set_fp_control(unsigned long long state) { _mm_setcsr((unsigned int)state); }
#elif defined(__aarch64__)
#include <stdint.h>
void seqkit_flush_denormals_to_zero(void) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr |= (1ull << 24); /* FZ */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
}
int seqkit_flushes_denormals(void) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (fpcr >> 24) & 1;
}
unsigned long long seqkit_fp_control(void) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return fpcr;
}
void seqkit_set_fp_control(unsigned long long state) { __asm__ volatile("msr fpcr, %0" : : "r"((uint64_t)state)); }
#else
void seqkit_flush_denormals_to_zero(void) {}
int seqkit_flushes_denormals(void) { return 0; }
unsigned long long seqkit_fp_control(void) { return 0; }
void seqkit_set_fp_control(unsigned long long state) { (void)state; }
#endif
