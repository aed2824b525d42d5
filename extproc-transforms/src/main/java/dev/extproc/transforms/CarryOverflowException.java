package dev.extproc.transforms;

/** Thrown when a {@link CarryBuffer} would hold more than its capacity. */
public final class CarryOverflowException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public CarryOverflowException(String message) {
    super(message);
  }
}
