/**
 * The benchmark: an upload driver and a small-request loop (Netty HTTP/1.1 clients that verify every
 * response by SHA-256 digest), meters that sample the memory of Envoy, the ext_proc server and the echo
 * backend from the processes themselves, the scenarios of the seed's memory experiment, and the report
 * (JSON, Markdown, CSV, PNG charts).
 *
 * <p>Depends on {@code dev.extproc.stack} (to start Envoy, echo and the ext_proc server), Netty,
 * HdrHistogram, Jackson and XChart; never on the engine's internals.
 */
package dev.extproc.bench;
