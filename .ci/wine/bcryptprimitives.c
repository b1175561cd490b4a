/* A stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks: Rust >= 1.78 binaries
 * import ProcessPrng from it for their random seeds. This one fills the buffer from
 * SystemFunction036 (RtlGenRandom, advapi32), which wine has. Built by .ci/cross and placed
 * beside the test binaries; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
