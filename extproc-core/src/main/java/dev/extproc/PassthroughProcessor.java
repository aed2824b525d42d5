package dev.extproc;

/** A processor that changes nothing: headers, body and trailers pass through as Envoy sent them. */
public final class PassthroughProcessor implements ExchangeProcessor {
  private static final ProcessorFactory FACTORY = exchange -> new PassthroughProcessor();

  /** Returns a factory of pass-through processors. */
  public static ProcessorFactory factory() {
    return FACTORY;
  }

  /** Chunks are passed through within their event: they need not be copied out of the network buffers. */
  @Override
  public boolean borrowsChunks(Direction direction) {
    return true;
  }
}
