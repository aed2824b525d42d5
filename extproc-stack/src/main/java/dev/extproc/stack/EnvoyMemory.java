package dev.extproc.stack;

/**
 * Envoy's allocator figures from admin {@code GET /memory} (bytes).
 *
 * @param allocated bytes in use by the application
 * @param heapSize bytes reserved by the allocator's heap
 * @param pageheapUnmapped free bytes returned to the OS
 * @param pageheapFree free bytes kept mapped
 * @param totalThreadCache bytes in per-thread caches
 * @param totalPhysicalBytes physical memory the allocator uses
 */
public record EnvoyMemory(
    long allocated,
    long heapSize,
    long pageheapUnmapped,
    long pageheapFree,
    long totalThreadCache,
    long totalPhysicalBytes) {}
