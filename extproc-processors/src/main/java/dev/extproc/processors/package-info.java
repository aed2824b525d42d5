/**
 * The seed's processors on top of the processor API: {@link dev.extproc.processors.CaptureProcessorFactory
 * capture} (bodies to files), {@link dev.extproc.processors.ReplaceProcessorFactory replace} (bodies
 * from files) and {@link dev.extproc.processors.DelayProcessorFactory delay}. File I/O runs on a
 * caller-supplied executor (see {@link dev.extproc.processors.FileIo}), never on gRPC threads;
 * each event's stage completes when its I/O is done, so a slow disk slows Envoy down instead of
 * filling memory. Depends only on {@code dev.extproc} and slf4j.
 */
package dev.extproc.processors;
