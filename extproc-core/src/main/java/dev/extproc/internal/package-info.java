/**
 * The ext_proc engine behind {@link dev.extproc.ExtProcService}: one {@code Exchange} per gRPC
 * stream, its per-direction state, reply building and flow control. Not API: nothing here is
 * meant to be used directly, and it may change at any time. See {@code docs/architecture.md}.
 */
package dev.extproc.internal;
