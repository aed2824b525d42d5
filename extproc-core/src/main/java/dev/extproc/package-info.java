/**
 * The processor API and the ext_proc service.
 *
 * <ul>
 *   <li>{@link dev.extproc.DirectionProcessor}: what a user writes, one per direction of an HTTP
 *       exchange: headers, body chunks, end, trailers, each answered with a stage.
 *   <li>{@link dev.extproc.DirectionContext}: what a processor can do to its direction (write the
 *       body, mutate headers); {@link dev.extproc.ExchangeContext}: what it can do to the whole
 *       exchange (immediate response, dynamic metadata, mode override).
 *   <li>{@link dev.extproc.ExchangeHandler} and {@link dev.extproc.ProcessorFactory}: the pair of
 *       processors made for each exchange; {@link dev.extproc.ExchangeProcessor} is the
 *       both-directions-in-one-object form; {@link dev.extproc.ProcessorChain} composes them.
 *   <li>{@link dev.extproc.ExtProcService}: the gRPC service, configured by {@link
 *       dev.extproc.ExtProcConfig}, counted by {@link dev.extproc.ExtProcStats}, watched by an
 *       {@link dev.extproc.ExchangeObserver}.
 * </ul>
 *
 * <p>Memory is bounded per stream by configuration, not by body size: see {@link
 * dev.extproc.ExtProcConfig#maxBytesHeldPerStream()} and {@link dev.extproc.DirectionContext#write}.
 * Guide: {@code docs/writing-processors.md}; design: {@code docs/architecture.md}.
 */
@NullMarked
package dev.extproc;

import org.jspecify.annotations.NullMarked;
