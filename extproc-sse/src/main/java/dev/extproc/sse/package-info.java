/**
 * Server-sent events ({@code text/event-stream}) across ext_proc body chunks: {@link
 * dev.extproc.sse.SseParser} frames blocks in bounded memory without copying, {@link
 * dev.extproc.sse.SseEncoder} writes them. See {@code docs/sse.md}.
 */
package dev.extproc.sse;
