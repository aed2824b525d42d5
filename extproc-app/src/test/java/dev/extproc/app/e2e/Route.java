package dev.extproc.app.e2e;

import dev.extproc.BodyMode;

/**
 * The routes of the stack's Envoy (docs/interfaces.md): one per body mode on the ext_proc listener, and
 * the baseline listener (no ext_proc filter, same echo backend).
 */
enum Route {
  STREAMED("/streamed", true, BodyMode.STREAMED),
  FULL_DUPLEX_STREAMED("/full-duplex-streamed", true, BodyMode.FULL_DUPLEX_STREAMED),
  BUFFERED("/buffered", true, BodyMode.BUFFERED),
  BUFFERED_PARTIAL("/buffered-partial", true, BodyMode.BUFFERED_PARTIAL),
  HEADERS_ONLY("/headers-only", true, BodyMode.NONE),
  /** The baseline listener; the path is irrelevant there (every route goes straight to the echo). */
  BASELINE("/streamed", false, BodyMode.NONE);

  private final String path;
  private final boolean extProc;
  private final BodyMode bodyMode;

  Route(String path, boolean extProc, BodyMode bodyMode) {
    this.path = path;
    this.extProc = extProc;
    this.bodyMode = bodyMode;
  }

  String path() {
    return path;
  }

  /** True for the routes of the listener with the ext_proc filter. */
  boolean extProc() {
    return extProc;
  }

  /** The body mode of both directions (NONE on the baseline, which has no ext_proc at all). */
  BodyMode bodyMode() {
    return bodyMode;
  }

  /** True where Envoy sends trailers to the processor (trailer mode SEND). */
  boolean sendsTrailers() {
    return extProc && bodyMode != BodyMode.NONE;
  }
}
